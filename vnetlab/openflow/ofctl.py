"""The ``ovs-ofctl`` front-end (``utilities/ovs-ofctl.c``) over an emulated bridge.

Design note: :func:`run_ofctl` is a pure function of argv, a bridge lookup and the virtual
time: it parses options as ``getopt_long`` does, dispatches to one function per command, and
returns a :class:`CmdResult` whose text is what OVS 3.1's ``ovs-ofctl`` prints, talking
OpenFlow 1.0 + Nicira extensions unless ``-O OpenFlow13`` is given. A bridge is anything with
the :class:`OfctlBridge` shape (the emulated vswitchd implements it).

What an OpenFlow reply would carry is rebuilt from the tables and printed by
``ofctl_print``: ``dump-flows`` prints the ``NXST_FLOW reply`` header and ``idle_age`` in the
default raw mode, and no header with ``--names``/``--no-stats``/``--sort``
(``ofctl_dump_flows``); rejected flow mods print OVS's ``OFPT_ERROR`` lines (the transaction
id grows by two for each extension the flow needed, as ``ovs-ofctl`` negotiates them). A flow
added without ``-O`` goes through the OpenFlow 1.0 encoding first (``normalize``,
``through_of10``), as it does on its way into a real switch. Deterministic except durations
and ages; rules print in classifier order as OVS's (subtables by best priority, each in
insertion order); a dump past 64 kB splits into reply messages where ovs-vswitchd splits it
(``flags=[more]``); groups by id (OVS: hash order). Not printed: the ``ofp_match|INFO
normalization changed``/``ofp_port|WARN`` log lines (wall-clock timestamps) and the hex dump
OVS adds when the switch rejects a flow ovs-ofctl could not re-decode.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from vnetlab.openflow.actions import format_actions, through_of10
from vnetlab.openflow.cmd import CmdResult
from vnetlab.openflow.fields import field_by_name
from vnetlab.openflow.match import PortNamer
from vnetlab.openflow.ofctl_errors import OfctlError
from vnetlab.openflow.ofctl_of13 import format_actions_of13
from vnetlab.openflow.ofctl_parse import (
    FlowMod,
    GroupMod,
    needs_nxm,
    normalize,
    parse_flow,
    parse_group,
)
from vnetlab.openflow.ofctl_print import (
    NXST_FLOW_HEADER,
    OFP_MAX_MSG,
    PortInfo,
    PortStats,
    format_features,
    format_flow_stats,
    format_group,
    format_group_stats,
    format_port_stats,
    format_table_stats,
    nx_flow_stats_len,
    sorted_rules,
)
from vnetlab.openflow.ofproto_tables import OfGroup, OfpError, OfprotoTables, Rule

__all__ = ["OfctlBridge", "PortInfo", "PortStats", "run_ofctl"]


class OfctlBridge(Protocol):
    """What ``ovs-ofctl`` needs of a bridge."""

    @property
    def tables(self) -> OfprotoTables: ...

    @property
    def datapath_id(self) -> int: ...

    def port_names(self) -> dict[int, str]:
        """ofport -> name, including LOCAL (0xfffe) -> the bridge's name."""
        ...

    def port_info(self, ofport: int) -> PortInfo | None: ...

    def port_stats(self, ofport: int) -> PortStats | None: ...


BridgeLookup = Callable[[str], "OfctlBridge | None"]

#: command -> (min args, max args) after the command name, as ovs-ofctl's table
COMMANDS: dict[str, tuple[int, int]] = {
    "show": (1, 1), "dump-flows": (1, 2), "dump-aggregate": (1, 2), "add-flow": (2, 2),
    "add-flows": (2, 2), "mod-flows": (2, 2), "del-flows": (1, 2), "dump-ports": (1, 2),
    "add-group": (2, 2), "add-groups": (2, 2), "mod-group": (2, 2), "del-groups": (1, 2),
    "dump-groups": (1, 2), "dump-group-stats": (1, 2), "dump-tables": (1, 1),
}

_VERSIONS = {"OpenFlow10": 1, "OpenFlow11": 2, "OpenFlow12": 3, "OpenFlow13": 4,
             "OpenFlow14": 5, "OpenFlow15": 6}


@dataclass
class _Opts:
    strict: bool = False
    names: bool | None = None
    stats: bool = True
    of13: bool = False
    #: --sort/--rsort criteria: (field name or "priority", ascending)
    sort: list[tuple[str, bool]] = field(default_factory=list)


class _Fail(Exception):
    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


class _Exit(Exception):
    """An option that prints and exits 0 (``--version``)."""

    def __init__(self, out: str) -> None:
        super().__init__(out)
        self.out = out


VERSION_TEXT = "ovs-ofctl (Open vSwitch) 3.1.0\nOpenFlow versions 0x1:0x6\n"


def _parse_opts(argv: list[str]) -> tuple[_Opts, list[str]]:
    """``parse_options``: getopt_long with argument permutation."""
    opts = _Opts()
    rest: list[str] = []
    i = 0
    while i < len(argv):
        a = argv[i]
        i += 1
        if a == "--":
            rest.extend(argv[i:])
            break
        if not a.startswith("-") or a == "-":
            rest.append(a)
            continue
        value: str | None = None
        if a.startswith("--"):
            name, eq, val = a[2:].partition("=")
            value = val if eq else None
            if name == "strict":
                opts.strict = True
            elif name == "names":
                opts.names = True
            elif name == "no-names":
                opts.names = False
            elif name == "no-stats":
                opts.stats = False
            elif name == "stats":
                opts.stats = True
            elif name == "version":
                raise _Exit(VERSION_TEXT)
            elif name == "protocols":
                if value is None:
                    if i >= len(argv):
                        raise _Fail("option '--protocols' requires an argument")
                    value = argv[i]
                    i += 1
                opts.of13 = _protocol_is_of13(value)
            elif name in ("sort", "rsort"):
                key = value or "priority"
                if key != "priority" and field_by_name(key) is None:
                    raise _Fail(f"{key}: unknown field name")
                opts.sort.append((key, name == "sort"))
            elif name in ("readd", "more", "color", "timestamp"):
                pass
            else:
                raise _Fail(f"unrecognized option '{a.partition('=')[0]}'")
            continue
        # short options
        j = 1
        while j < len(a):
            c = a[j]
            j += 1
            if c == "O":
                value = a[j:] if j < len(a) else None
                if value is None:
                    if i >= len(argv):
                        raise _Fail("option requires an argument -- 'O'")
                    value = argv[i]
                    i += 1
                opts.of13 = _protocol_is_of13(value)
                break
            if c == "V":
                raise _Exit(VERSION_TEXT)
            if c in "mv":
                continue
            raise _Fail(f"invalid option -- '{c}'")
    return opts, rest


def _protocol_is_of13(value: str) -> bool:
    best = 0
    for word in value.split(","):
        if word not in _VERSIONS:
            raise _Fail(f'Unknown OpenFlow version: "{word}"')
        best = max(best, _VERSIONS[word])
    return best > 1


#: reads the file an ``add-flows``/``add-groups`` names (OSError when it cannot)
FileReader = Callable[[str], str]


def _read_from_disk(path: str) -> str:
    with open(path, encoding="utf-8", errors="replace") as fh:
        return fh.read()


def run_ofctl(argv: list[str], bridges: BridgeLookup, now: float, *,
              read_file: FileReader = _read_from_disk) -> CmdResult:
    """Run ``ovs-ofctl ARGV`` (argv without the program name) against the bridges.
    ``read_file`` lets a caller with its own idea of files (a script's working directory)
    serve ``add-flows FILE``."""
    try:
        opts, args = _parse_opts(argv)
        if not args:
            raise _Fail("missing command name; use --help for help")
        cmd, params = args[0], args[1:]
        if cmd not in COMMANDS:
            raise _Fail(f"unknown command '{cmd}'; use --help for help")
        lo, hi = COMMANDS[cmd]
        if len(params) < lo:
            raise _Fail(f"'{cmd}' command requires at least {lo} arguments")
        if len(params) > hi:
            raise _Fail(f"'{cmd}' command takes at most {hi} arguments")
        bridge = bridges(params[0])
        if bridge is None:
            raise _Fail(f"{params[0]} is not a bridge or a socket")
        bridge.tables.expire(now)
        return _Run(opts, bridge, now, read_file).dispatch(cmd, params[1:])
    except _Exit as done:
        return CmdResult(done.out, "", 0)
    except _Fail as err:
        return CmdResult("", f"ovs-ofctl: {err.text}\n", 1)
    except OfctlError as err:
        return CmdResult("", f"ovs-ofctl: {err}\n", 1)


class _Run:
    """One ``ovs-ofctl`` invocation against one bridge."""

    def __init__(self, opts: _Opts, bridge: OfctlBridge, now: float,
                 read_file: FileReader) -> None:
        self.read_file = read_file
        self.opts = opts
        self.bridge = bridge
        self.now = now
        self.out: list[str] = []
        self.err: list[str] = []
        names = bridge.port_names()
        self.by_name = {n: p for p, n in names.items()}
        self.names_map = names

    @property
    def ver(self) -> str:
        return " (OF1.3)" if self.opts.of13 else ""

    def port_number(self, name: str) -> int | None:
        return self.by_name.get(name)

    def namer(self, show: bool) -> PortNamer:
        return self.names_map.get if show else None

    def dispatch(self, cmd: str, args: list[str]) -> CmdResult:
        status = 0
        if cmd == "dump-flows":
            self.dump_flows(args)
        elif cmd == "dump-aggregate":
            self.dump_aggregate(args)
        elif cmd in ("add-flow", "add-flows", "mod-flows", "del-flows"):
            status = self.flow_mods(cmd, args)
        elif cmd in ("add-group", "add-groups", "mod-group", "del-groups"):
            status = self.group_mods(cmd, args)
        elif cmd in ("dump-groups", "dump-group-stats"):
            self.dump_groups(cmd, args)
        elif cmd == "show":
            self.show()
        elif cmd == "dump-ports":
            self.dump_ports(args)
        else:
            self.dump_tables()
        return CmdResult("".join(self.out), "".join(self.err), status)

    # flows --------------------------------------------------------------------------------
    def _selected(self, args: list[str]) -> list[Rule]:
        if not args:
            return [r for r in self.bridge.tables.rules() if r.table_id != 254]
        fm = self._filter_dump(args[0])
        # a flow stats request has no priority: --strict means the exact match, any priority
        return self.bridge.tables.select(fm, self.opts.strict, any_priority=True)

    def _filter_dump(self, text: str) -> FlowMod:
        """``parse_ofp_flow_stats_request_str``: match + out_port/table/cookie, no
        priority unless --strict."""
        return parse_flow(text, "delete", self.port_number)

    def dump_flows(self, args: list[str]) -> None:
        rules = self._selected(args)
        raw = self.opts.names is not True and self.opts.stats and not self.opts.sort
        if self.opts.sort:
            rules = sorted_rules(rules, self.opts.sort)
        namer = self.namer(self.opts.names is True)
        lines = [" " + format_flow_stats(r, self.now, namer, self.opts.stats, raw,
                                         self.opts.of13) + "\n" for r in rules]
        if not raw:
            self.out.extend(lines)
            return
        xid = 2 if self.opts.of13 else (8 if args else 4)
        head = f"{'OFPST_FLOW' if self.opts.of13 else 'NXST_FLOW'} reply{self.ver} (xid={xid:#x}):"
        # the switch starts a new reply message where the next flow would pass 64 kB
        # (measured for the OpenFlow 1.0/Nicira encoding; OpenFlow 1.3 replies: one message)
        messages: list[list[str]] = [[]]
        size = NXST_FLOW_HEADER
        for r, line in zip(rules, lines, strict=True):
            n = nx_flow_stats_len(r) if not self.opts.of13 else 0
            if size + n > OFP_MAX_MSG and messages[-1]:
                messages.append([])
                size = NXST_FLOW_HEADER
            size += n
            messages[-1].append(line)
        for i, msg in enumerate(messages):
            more = " flags=[more]" if i < len(messages) - 1 else ""
            self.out.append(head + more + "\n")
            self.out.extend(msg)

    def dump_aggregate(self, args: list[str]) -> None:
        rules = self._selected(args)
        xid = 2 if self.opts.of13 else (8 if args else 4)
        head = "OFPST_AGGREGATE" if self.opts.of13 else "NXST_AGGREGATE"
        self.out.append(f"{head} reply{self.ver} (xid={xid:#x}): packet_count="
                        f"{sum(r.n_packets for r in rules)} byte_count="
                        f"{sum(r.n_bytes for r in rules)} flow_count={len(rules)}\n")

    def _read_lines(self, path: str) -> list[tuple[int, str]]:
        try:
            text = self.read_file(path)
        except OSError as e:
            raise _Fail(f"{path}: open failed ({e.strerror})") from None
        out = []
        for n, line in enumerate(text.split("\n"), 1):
            stripped = line.split("#", 1)[0].strip()
            if stripped:
                out.append((n, stripped))
        return out

    def flow_mods(self, cmd: str, args: list[str]) -> int:
        """``ofctl_flow_mod``/``ofctl_flow_mod_file``: parse everything, then send."""
        strict = self.opts.strict
        if cmd == "add-flows" or (cmd == "add-flow" and args and args[0] == "-"):
            fms = []
            for n, line in self._read_lines(args[0]):
                command, text = _split_command(line)
                try:
                    fms.append(parse_flow(text, command, self.port_number))
                except OfctlError as e:
                    raise OfctlError(f"{args[0]}:{n}: {e}") from None
        else:
            command = {"add-flow": "add", "mod-flows": "modify", "del-flows": "delete"}[cmd]
            if strict and command != "add":
                command += "_strict"
            if cmd == "del-flows" and not args:
                fms = [FlowMod("delete_strict" if strict else "delete")]
            else:
                fms = [parse_flow(args[0], command, self.port_number)]
        for fm in fms:
            self._prepare(fm)
            try:
                self.bridge.tables.flow_mod(fm, self.now)
            except OfpError as e:
                self._report_error(e, fm)
                return 1
        return 0

    def _prepare(self, fm: FlowMod) -> None:
        """What reaches the switch: the OpenFlow 1.0 encoding when not ``-O OpenFlow13``."""
        nxm = needs_nxm(fm)
        if not self.opts.of13:
            if "of10" not in fm.usable:
                usable = "OXM" if nxm else "OXM,OpenFlow11"
                raise OfctlError(f"none of the usable flow formats ({usable}) is among the "
                                 "allowed flow formats (OpenFlow10,NXM)")
            normalize(fm)
            fm.actions = through_of10(fm.actions)
            fm.importance = 0   # OpenFlow 1.4+ only: an OpenFlow 1.0 flow mod drops it
        else:
            if "of11" not in fm.usable:
                tid = "+table_id" if fm.table != 255 else ""
                usable = f"NXM{tid}" if nxm else f"OpenFlow10{tid},NXM{tid}"
                raise OfctlError(f"none of the usable flow formats ({usable}) is among the "
                                 "allowed flow formats (OXM-OpenFlow13)")
            fm.usable = fm.usable - {"of10"}

    def _report_error(self, e: OfpError, fm: FlowMod) -> None:
        xid = 6
        nxm = needs_nxm(fm)
        if not self.opts.of13:
            if fm.table not in (0, 255):
                xid += 2
            if nxm:
                xid += 2
        kind = "NXT_FLOW_MOD" if nxm and not self.opts.of13 else "OFPT_FLOW_MOD"
        word = {"add": "ADD", "modify": "MOD", "modify_strict": "MOD_STRICT",
                "delete": "DEL", "delete_strict": "DEL_STRICT"}[fm.command]
        text = " " + word
        if fm.table not in (0, 255):
            text += f" table:{fm.table}"
        text += " "
        m = fm.match.format(None, fm.priority)
        text += m
        if not text.endswith(" "):
            text += " "
        if fm.new_cookie:
            text += f"cookie:{fm.new_cookie:#x} "
        if fm.cookie_mask:
            text += f"cookie:{fm.cookie:#x}/{fm.cookie_mask:#x} "
        if fm.idle_timeout:
            text += f"idle:{fm.idle_timeout} "
        if fm.hard_timeout:
            text += f"hard:{fm.hard_timeout} "
        if fm.importance:
            text += f"importance:{fm.importance} "
        for f in ("send_flow_rem", "check_overlap", "reset_counts", "no_packet_counts",
                  "no_byte_counts"):
            if f in fm.flags and not (f == "reset_counts" and not self.opts.of13):
                text += f + " "
        acts = format_actions_of13(fm.actions, fm.match, None) if self.opts.of13 else \
            format_actions(fm.actions)
        text += "actions=" + acts
        self.err.append(f"OFPT_ERROR{self.ver} (xid={xid:#x}): {e.name}\n"
                        f"{kind}{self.ver} (xid={xid:#x}):{text}\n")

    # groups -------------------------------------------------------------------------------
    def group_mods(self, cmd: str, args: list[str]) -> int:
        if cmd == "add-groups":
            gms = []
            for n, line in self._read_lines(args[0]):
                command, text = _split_group_command(line)
                try:
                    gms.append(parse_group(text, command, self.port_number))
                except OfctlError as e:
                    raise OfctlError(f"{args[0]}:{n}: {e}") from None
        else:
            command = {"add-group": "add", "mod-group": "modify", "del-groups": "delete"}[cmd]
            gms = [parse_group(args[0] if args else "", command, self.port_number)]
        for gm in gms:
            for b in gm.buckets:
                b.actions = b.actions if self.opts.of13 else through_of10(b.actions)
            try:
                self.bridge.tables.group_mod(gm, self.now)
            except OfpError as e:
                self._report_group_error(e, gm)
                return 1
        return 0

    def _report_group_error(self, e: OfpError, gm: GroupMod) -> None:
        word = {"add": "ADD", "modify": "MOD", "add_or_mod": "ADD_OR_MOD",
                "delete": "DEL"}[gm.command]
        from vnetlab.openflow.ofproto_tables import _assign_bucket_ids
        g = OfGroup(gm.group_id, gm.type, _assign_bucket_ids(gm.buckets),
                    gm.selection_method, gm.fields)
        kind = "OFPT_GROUP_MOD" if self.opts.of13 else "NXT_GROUP_MOD"
        self.err.append(f"OFPT_ERROR{self.ver} (xid=0x6): {e.name}\n{kind}{self.ver} "
                        f"(xid=0x6):\n {word} {format_group(g, None, self.opts.of13)}\n")

    def dump_groups(self, cmd: str, args: list[str]) -> None:
        groups = sorted(self.bridge.tables.groups.values(), key=lambda g: g.group_id)
        if args:
            gid = _group_id_arg(args[0], cmd == "dump-groups")
            if gid is not None:
                groups = [g for g in groups if g.group_id == gid]
        namer = self.namer(self.opts.names is True)
        if cmd == "dump-groups":
            head = "OFPST_GROUP_DESC" if self.opts.of13 else "NXST_GROUP_DESC"
            self.out.append(f"{head} reply{self.ver} (xid=0x2):\n")
            for g in groups:
                self.out.append(" " + format_group(g, namer, self.opts.of13) + "\n")
            return
        head = "OFPST_GROUP" if self.opts.of13 else "NXST_GROUP"
        self.out.append(f"{head} reply{self.ver} (xid=0x6):\n")
        for g in groups:
            self.out.append(format_group_stats(g, self.bridge.tables, self.now))

    # ports --------------------------------------------------------------------------------
    def _ports(self) -> list[PortInfo]:
        infos = [self.bridge.port_info(p) for p in sorted(self.names_map)]
        return [i for i in infos if i is not None]

    def show(self) -> None:
        """``ofctl_show``."""
        self.out.append(format_features(self.bridge.datapath_id, self._ports(),
                                        self.opts.of13))

    def dump_ports(self, args: list[str]) -> None:
        ports = sorted(self.names_map)
        if args:
            from vnetlab.openflow.ofctl_scan import parse_port
            want = parse_port(args[0], self.port_number)
            if want is None:
                raise OfctlError(f"{args[0]}: unknown port")
            ports = [p for p in ports if p == want] if want != 0xFFFF else ports
        stats = [(p, self.bridge.port_stats(p)) for p in ports]
        shown = [(p, s) for p, s in stats if s is not None]
        head = "OFPST_PORT" if not self.opts.of13 else "OFPST_PORT"
        self.out.append(f"{head} reply{self.ver} (xid=0x2): {len(shown)} ports\n")
        namer = self.namer(self.opts.names is True)
        for p, st in shown:
            self.out.append(format_port_stats(p, st, namer))

    def dump_tables(self) -> None:
        self.out.append(format_table_stats(self.bridge.tables, self.opts.of13))


def _split_command(line: str) -> tuple[str, str]:
    """A leading ``add``/``modify``/``delete``... word in a flow file (``command == -2``)."""
    word = line.split(None, 1)[0].split(",", 1)[0]
    for cmd in ("add", "delete", "delete_strict", "modify", "modify_strict"):
        if word and cmd.startswith(word) and word in ("add", "delete", "delete_strict",
                                                      "modify", "modify_strict"):
            return cmd, line[len(word):]
    return "add", line


def _split_group_command(line: str) -> tuple[str, str]:
    word = line.split(None, 1)[0].split(",", 1)[0]
    if word in ("add", "delete", "modify", "add_or_mod"):
        return word, line[len(word):].lstrip(" ,")
    return "add", line


def _group_id_arg(text: str, dump_groups: bool) -> int | None:
    """The group argument: ``dump-groups`` takes ``N``/``all``/``any`` (anything else is
    ignored with a warning: all groups), ``dump-group-stats`` takes ``group_id=N``.
    None = all groups."""
    from vnetlab.openflow.ofctl_scan import parse_key_values, strtoull

    def number(value: str) -> int | None:
        parsed = strtoull(value)
        if parsed is None or parsed[1] or parsed[0] > 0xFFFFFFFF:
            return None
        return parsed[0]

    if dump_groups:
        return None if text.lower() in ("all", "any") else number(text)
    gid: int | None = None
    for key, val in parse_key_values(text):
        if key != "group_id":
            raise OfctlError(f"unknown keyword {key}")
        if val.lower() in ("all", "any"):
            gid = None
            continue
        gid = number(val)
        if gid is None:
            raise OfctlError(f"invalid group id {val}")
    return gid
