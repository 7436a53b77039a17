"""``vnetlab script``, ``vnetlab shell`` and ``vnetlab export``: the real commands on the
emulator (registered on the main group by ``register``)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click


def _fills(pairs: tuple[str, ...]) -> dict[str, str]:
    out = {}
    for p in pairs:
        k, sep, v = p.partition("=")
        if not sep or not k:
            raise click.BadParameter(f"{p!r} is not NAME=VALUE, e.g. namespace=ns1",
                                     param_hint="--set")
        out[k.strip().lower()] = v
    return out


set_opt = click.option(
    "--set", "fills", multiple=True, metavar="NAME=VALUE",
    help="Fill a documentation placeholder such as <namespace> (repeatable).",
)


def register(cli: click.Group, *, friendly: Callable[[Any], Any]) -> None:
    @cli.command("script")
    @click.argument("file", type=click.Path(dir_okay=False, allow_dash=True, path_type=Path))
    @click.option("--lab", type=click.Path(dir_okay=False, path_type=Path),
                  help="Start from this lab (its nodes are the namespaces) instead of a "
                  "fresh emulated host.")
    @set_opt
    @friendly
    def script_cmd(file: Path, lab: Path | None, fills: tuple[str, ...]) -> None:
        """Run FILE, a script of ip/bridge/ping/tcpdump/sysctl commands, in the emulator.

        A fresh run starts from one emulated host: namespace "host" with lo and an
        emulated eth0 (never the machine's). Exit status: that of the script (set -e
        stops at the first failing command)."""
        from vnetlab.model import load_lab
        from vnetlab.script.interp import Interpreter

        text = _read_stdin() if str(file) == "-" else _read(file)
        spec = load_lab(lab) if lab is not None else None
        it = Interpreter(lab=spec, fills=_fills(fills), source=str(file))
        sys.exit(it.run_text(text))

    @cli.command("shell")
    @click.argument("lab", required=False, type=click.Path(dir_okay=False, path_type=Path))
    @set_opt
    @friendly
    def shell_cmd(lab: Path | None, fills: tuple[str, ...]) -> None:
        """An interactive prompt for the same commands (history, Tab completion)."""
        from vnetlab.model import load_lab
        from vnetlab.script.shell import interactive

        spec = load_lab(lab) if lab is not None else None
        sys.exit(interactive(spec, _fills(fills)))

    @cli.command("export")
    @click.argument("lab", type=click.Path(dir_okay=False, path_type=Path))
    @click.option("--script", "as_script", is_flag=True, required=True,
                  help="Write the lab as a script of ip/bridge/sysctl commands.")
    @click.option("-o", "output", type=click.Path(dir_okay=False, path_type=Path),
                  help="Write to this file instead of stdout.")
    @friendly
    def export_cmd(lab: Path, as_script: bool, output: Path | None) -> None:
        """Write LAB as a script that `vnetlab script` turns back into the same lab."""
        from vnetlab.model import load_lab
        from vnetlab.script.export import ExportError, export_script

        spec = load_lab(lab)
        try:
            text = export_script(spec)
        except ExportError as e:
            from vnetlab.cli.errors import report

            report(f"{lab}: {e}", as_json=False)
        if output is None:
            click.echo(text, nl=False)
            return
        try:
            output.write_text(text)
        except OSError as e:
            from vnetlab.cli.errors import report_os_error

            report_os_error("write", e, as_json=False,
                            hint="give -o a file in a directory that exists and you can write")


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError as e:
        click.echo(f"error: cannot read {path}: {e.strerror}", err=True)
        sys.exit(2)
    except UnicodeDecodeError as e:
        click.echo(f"error: {path} is not UTF-8 text (byte {e.start}): a script is text",
                   err=True)
        sys.exit(2)


def _read_stdin() -> str:
    try:
        return sys.stdin.buffer.read().decode()
    except UnicodeDecodeError as e:
        click.echo(f"error: standard input is not UTF-8 text (byte {e.start})", err=True)
        sys.exit(2)
