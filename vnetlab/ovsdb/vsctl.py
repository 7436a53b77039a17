"""``ovs-vsctl`` over a ``Database``: ``run_vsctl(db, argv) -> CmdResult``.

Design note
-----------
Mirrors ``utilities/ovs-vsctl.c``: global options (``parse_options``), the commands split
at ``--`` (``ctl_parse_commands``), every command's prerequisites, then all commands in
one transaction (``do_vsctl``); output is printed only when the whole transaction
committed, an error prints ``ovs-vsctl: MESSAGE`` and exits 1 with nothing changed,
``br-exists`` on a missing bridge exits 2. The bridge/port/interface commands work on a
cache of the database (``vsctl_context_populate_cache``) rebuilt after any generic
command changed rows, including VLAN "fake bridges".

Without ``--no-wait`` a committing transaction also bumps ``Open_vSwitch.next_cfg`` and,
when the caller gives ``reconfigure`` (the emulated ovs-vswitchd), runs it and then
reports interfaces it could not set up, as ``post_db_reload_do_checks`` does. OVS logs
warnings to stderr as ``TIME|SEQ|MODULE|WARN|text``; the time here comes from ``now``
(seconds since the epoch, virtual time in the emulator).

Row order of ``list``/``find`` without records is creation order (ovsdb's hash order is
arbitrary); sets of references print sorted by UUID, as OVS does.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from vnetlab.openflow.cmd import CmdResult
from vnetlab.ovsdb.ctl import (
    Command,
    Context,
    CtlExit,
    CtlFatal,
    Syntax,
    parse_commands,
)
from vnetlab.ovsdb.ctl_cmds import DB_COMMANDS
from vnetlab.ovsdb.data import DataError, SymbolTable, Uuid
from vnetlab.ovsdb.db import Database, TxnError
from vnetlab.ovsdb.table_fmt import Style, format_table
from vnetlab.ovsdb.vsctl_cmds import VSCTL_COMMANDS, VsctlState
from vnetlab.ovsdb.vsctl_ctrl import CTRL_COMMANDS
from vnetlab.ovsdb.vsctl_help import usage

PROGRAM = "ovs-vsctl"
VERSION = "3.1.0"


COMMANDS: dict[str, Syntax] = {**DB_COMMANDS, **VSCTL_COMMANDS, **CTRL_COMMANDS}

#: global options in ovs-vsctl's table order: name -> takes an argument ("" none,
#: "=" required, "?" optional)
_GLOBAL = {
    "db": "=", "no-syslog": "", "no-wait": "", "dry-run": "", "oneline": "", "timeout": "=",
    "retry": "", "help": "", "commands": "", "options": "", "leader-only": "",
    "no-leader-only": "", "shuffle-remotes": "", "no-shuffle-remotes": "", "version": "",
    "verbose": "?", "log-file": "?", "syslog-method": "=", "syslog-target": "=",
    "format": "=", "data": "=", "no-headings": "", "pretty": "", "bare": "",
    "max-column-width": "=", "private-key": "=", "certificate": "=", "ca-cert": "=",
    "ssl-protocols": "=", "ssl-ciphers": "=", "bootstrap-ca-cert": "=", "peer-ca-cert": "=",
}
#: the commands' own options in the order ovs-vsctl appends them to its table
_LOCAL_ORDER = ["may-exist", "if-exists", "id", "inactivity-probe", "real", "fake",
                "with-iface", "columns", "bootstrap", "all", "fake-iface"]
_SHORT = {"t": "timeout", "h": "help", "V": "version", "v": "verbose", "f": "format",
          "d": "data"}


def _local_options() -> dict[str, str]:
    """Every ``--option`` any command accepts, usable before the first command."""
    out: dict[str, str] = {name: "" for name in _LOCAL_ORDER}
    for syntax in COMMANDS.values():
        for item in filter(None, syntax.options.split(",")):
            name = item[2:].rstrip("=?")
            out[name] = "=" if item.endswith("=") else "?" if item.endswith("?") else ""
    return out


@dataclass
class _Options:
    wait: bool = True
    dry_run: bool = False
    oneline: bool = False
    style: Style = field(default_factory=Style)
    version: bool = False
    help: bool = False


def _parse_options(argv: list[str], local: dict[str, str | None]) -> tuple[_Options, int]:
    """``parse_options``: getopt_long with ``+`` (stops at the first non-option)."""
    opts = _Options()
    local_names = _local_options()
    known = {**_GLOBAL, **local_names}
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--":
            i += 1
            break
        if not arg.startswith("-") or arg == "-":
            break
        value: str | None
        if arg.startswith("--"):
            name, eq, value_text = arg[2:].partition("=")
            value = value_text if eq else None
            if name not in known:
                matches = [k for k in known if k.startswith(name)]
                if len(matches) != 1:
                    raise CtlFatal(f"unrecognized option '{arg}'"
                                   if not matches else
                                   f"option '{arg}' is ambiguous; possibilities: "
                                   + " ".join(f"'--{m}'" for m in matches))
                name = matches[0]
            kind = known[name]
            if kind == "" and value is not None:
                raise CtlFatal(f"option '--{name}' doesn't allow an argument")
            if kind == "=" and value is None:
                if i + 1 >= len(argv):
                    raise CtlFatal(f"option '--{name}' requires an argument")
                i += 1
                value = argv[i]
        else:
            letter = arg[1]
            if letter not in _SHORT:
                raise CtlFatal(f"invalid option -- '{letter}'")
            name = _SHORT[letter]
            value = arg[2:] or None
            if _GLOBAL[name] == "=" and value is None:
                if i + 1 >= len(argv):
                    raise CtlFatal(f"option requires an argument -- '{letter}'")
                i += 1
                value = argv[i]
        i += 1
        if name in local_names and name not in _GLOBAL:
            # OVS looks the option up without its "--", so a repeat is never caught
            local[f"--{name}"] = value
        elif name == "no-wait":
            opts.wait = False
        elif name == "dry-run":
            opts.dry_run = True
        elif name == "oneline":
            opts.oneline = True
        elif name == "timeout":
            if value is None or not value.isdigit() or int(value) == 0:
                raise CtlFatal(f"value {value} on -t or --timeout is invalid")
        elif name in ("version", "help"):
            # both print and exit at once, whatever follows
            opts.version, opts.help = name == "version", name == "help"
            break
        elif name == "format":
            if value not in ("table", "list", "html", "csv", "json"):
                raise CtlFatal(f'unknown output format "{value}"')
            opts.style.format = value
        elif name == "data":
            if value not in ("string", "bare", "json"):
                raise CtlFatal(f'unknown data format "{value}"')
            opts.style.cell_format = value
        elif name == "no-headings":
            opts.style.headings = False
        elif name == "pretty":
            opts.style.pretty = True
        elif name == "bare":
            opts.style.format, opts.style.cell_format = "list", "bare"
            opts.style.headings = False
        elif name == "max-column-width":
            opts.style.max_column_width = int(value or "0") if (value or "0").isdigit() else 0
    return opts, i


class _Run:
    """One invocation: its stderr lines and log sequence numbers."""

    def __init__(self, now: float, rw: bool) -> None:
        self.now = now
        self.err: list[str] = []
        self.seq = 2 if rw else 1  # a writing invocation logs "Called as" first

    def warn(self, module: str, text: str) -> None:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.now))
        self.err.append(f"{stamp}|{self.seq:05d}|{module}|WARN|{text}\n")
        self.seq += 1


def run_vsctl(db: Database, argv: list[str], *,
              reconfigure: Callable[[], None] | None = None,
              now: float = 0.0) -> CmdResult:
    """Runs one ``ovs-vsctl`` command line (``argv`` without or with the program name)."""
    if argv and argv[0] == PROGRAM:
        argv = argv[1:]
    local: dict[str, str | None] = {}
    try:
        opts, optind = _parse_options(argv, local)
        if opts.version:
            return CmdResult(f"{PROGRAM} (Open vSwitch) {VERSION}\nDB Schema 8.3.1\n", "", 0)
        if opts.help:
            return CmdResult(usage(), "", 0)
        commands = parse_commands(argv[optind:], local, COMMANDS)
    except CtlFatal as e:
        return CmdResult("", f"{PROGRAM}: {e}\n", 1)
    run = _Run(now, any(c.syntax.rw for c in commands))
    try:
        out = _do_vsctl(db, commands, opts, run, reconfigure)
    except CtlFatal as e:
        return CmdResult("", "".join(run.err) + f"{PROGRAM}: {e}\n", 1)
    except CtlExit as e:
        return CmdResult("", "".join(run.err), e.status)
    return CmdResult(out, "".join(run.err), 0)


def _do_vsctl(db: Database, commands: list[Command], opts: _Options, run: _Run,
              reconfigure: Callable[[], None] | None) -> str:
    style = opts.style
    state = VsctlState()
    symtab = SymbolTable(db.new_uuid)
    contexts: list[Context] = []
    hidden: set[Uuid] = set()
    with db.transaction() as txn:
        for n, cmd in enumerate(commands):
            contexts.append(Context(db, txn, symtab, cmd.argv, cmd.options,
                                    n == len(commands) - 1, run.warn, state.invalidate,
                                    tool=state, hidden=hidden))
        for cmd, ctx in zip(commands, contexts, strict=True):
            if cmd.syntax.pre is not None:
                cmd.syntax.pre(ctx)
        ovs = db.first("Open_vSwitch")
        if ovs is None:
            ovs = txn.insert("Open_vSwitch")
        state.ovs = ovs
        for cmd, ctx in zip(commands, contexts, strict=True):
            if cmd.syntax.run is not None:
                try:
                    cmd.syntax.run(ctx)
                except DataError as e:
                    raise CtlFatal(str(e)) from None
        for name, sym in symtab.symbols.items():
            if not sym.created:
                raise CtlFatal(f'row id "{name}" is referenced but never created (e.g. '
                               f'with "-- --id={name} create ...")')
            if not sym.strong_ref:
                how = "no reference to it was inserted" if not sym.weak_ref \
                    else "only a weak reference to it was inserted"
                run.warn("vsctl", f'row id "{name}" was created but {how}, so it will not '
                         "actually appear in the database")
        changed = txn.has_changes()
        if opts.wait and changed:
            next_cfg = ovs["next_cfg"]
            assert isinstance(next_cfg, int)
            txn.write(ovs, "next_cfg", next_cfg + 1)
        new_ifaces = [u for u in txn.inserted if db.get("Interface", u) is not None]
        try:
            txn.commit(dry_run=opts.dry_run)
        except TxnError as e:
            run.warn("ovsdb_idl", f"transaction error: {e.json()}")
            raise CtlFatal(f"transaction error: {e.json()}") from None
    for cmd, ctx in zip(commands, contexts, strict=True):
        if cmd.syntax.post is not None:
            cmd.syntax.post(ctx)
    out: list[str] = []
    for ctx in contexts:
        if ctx.table is not None:
            out.append(format_table(ctx.table, style))
        elif opts.oneline:
            text = "".join(ctx.output)
            text = text[:-1] if text.endswith("\n") else text
            out.append(text.replace("\\", "\\\\").replace("\n", "\\n") + "\n")
        else:
            out.append("".join(ctx.output))
    if opts.wait and changed and reconfigure is not None and not opts.dry_run:
        reconfigure()
        _post_reload_checks(db, new_ifaces, run)
    return "".join(out)


def _post_reload_checks(db: Database, new_ifaces: list[Uuid], run: _Run) -> None:
    """``post_db_reload_do_checks``: interfaces vswitchd could not open."""
    bad = False
    for uuid in new_ifaces:
        iface = db.get("Interface", uuid)
        if iface is None:
            continue
        ofport = iface.opt("ofport")
        if ofport is None or ofport == -1:
            error = iface.opt("error")
            if error:
                run.err.append(f"{PROGRAM}: Error detected while setting up '{iface['name']}': "
                               f"{error}.  See ovs-vswitchd log for details.\n")
            else:
                run.err.append(f"{PROGRAM}: Error detected while setting up "
                               f"'{iface['name']}'.  See ovs-vswitchd log for details.\n")
            bad = True
    if bad:
        run.err.append(f'{PROGRAM}: The default log directory is "/var/log/openvswitch".\n')
