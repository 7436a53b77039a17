"""The ``vnetlab`` command: parse arguments, call the API and tools, render.

Exit status: 0 success; 1 a check or ping failed; 2 bad input (lab file, arguments,
something the engine cannot build) — always a one-paragraph message, never a traceback.
"""

from __future__ import annotations

import ipaddress
import json
import signal
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

import click

from vnetlab.cli.bench_cmds import register as _register_bench_cmds
from vnetlab.cli.console import console, err_console
from vnetlab.cli.errors import report, report_lab_error, report_os_error
from vnetlab.cli.graph_cmds import register as _register_graph_cmds
from vnetlab.cli.lint_cmds import register as _register_lint_cmds
from vnetlab.cli.linux_cmds import register as _register_linux_cmds
from vnetlab.cli.perf_cmds import register as _register_perf_cmds
from vnetlab.cli.script_cmds import register as _register_script_cmds
from vnetlab.cli.snapshot_cmds import register as _register_snapshot_cmds
from vnetlab.engine import ENGINE_NAMES, EngineError

if TYPE_CHECKING:
    from vnetlab.model import LabSpec

F = TypeVar("F", bound=Callable[..., Any])


def friendly(fn: F) -> F:
    """Turn the errors a user can act on into a message and exit status 2 (under
    ``--json`` a JSON object on stderr: ``vnetlab.cli.errors``)."""

    @wraps(fn)
    def wrapper(*args: Any, **kw: Any) -> Any:
        from vnetlab.model.errors import LabError  # light: no pydantic

        as_json = bool(kw.get("as_json"))
        try:
            return fn(*args, **kw)
        except LabError as e:
            report_lab_error(e, as_json=as_json)
        except EngineError as e:
            report(str(e.args[0]) if e.args else str(e), e.hint, as_json=as_json)

    return cast(F, wrapper)


def _ip(value: str) -> ipaddress.IPv4Address:
    try:
        return ipaddress.IPv4Address(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not an IPv4 address like 192.168.1.3") from None


engine_opt = click.option(
    "--engine", type=click.Choice(ENGINE_NAMES), default="sim", show_default=True,
    help="sim: the pure-Python emulator; linux: the real kernel (root, network namespaces).",
)
json_opt = click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
lab_arg = click.argument("lab", type=click.Path(dir_okay=False, path_type=Path))


class VnetlabGroup(click.Group):
    """The command group; argument errors are reported like every other error (one
    paragraph, or a JSON object when ``--json`` is among the arguments), exit status 2."""

    def main(self, args: Any = None, prog_name: str | None = None,
             complete_var: str | None = None, standalone_mode: bool = True,
             **extra: Any) -> Any:
        argv = [str(a) for a in (sys.argv[1:] if args is None else args)]
        try:
            code = super().main(argv, prog_name, complete_var, standalone_mode=False, **extra)
        except click.exceptions.Abort:
            err_console.print("interrupted", markup=False)
            sys.exit(130)  # Ctrl-C: 128 + SIGINT, not 1 ("a check failed")
        except click.ClickException as e:
            hint = None
            if isinstance(e, click.UsageError) and e.ctx is not None:
                hint = f"see `{e.ctx.command_path} --help`"
            report(e.format_message(), hint, as_json="--json" in argv)
        if standalone_mode:
            sys.exit(code if isinstance(code, int) else 0)
        return code


@click.group(cls=VnetlabGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="vnetlab")
def cli() -> None:
    """Build, emulate, explain and check Linux virtual networks."""


@cli.command()
@lab_arg
@engine_opt
@json_opt
@click.option("--allow-loops", is_flag=True,
              help="linux: build a lab with a layer-2 loop without STP anyway; the engine "
              "measures the storm for 2 s, then breaks the loop.")
@friendly
def run(lab: Path, engine: str, as_json: bool, allow_loops: bool) -> None:
    """Build LAB, run its checks, print a verdict table (exit 1 if any check fails).

    Each verdict is also printed on its own line as soon as it is known (not with
    --json), so a run that is stopped halfway has shown what it finished; a lab that takes
    more than a second shows its progress on stderr when that is a terminal."""
    from vnetlab.api import make_engine
    from vnetlab.cli.progress import LabProgress
    from vnetlab.cli.render import report_summary, report_table, verdict_line
    from vnetlab.model import load_lab
    from vnetlab.tools.checks import CheckResult, run_checks

    with LabProgress(enabled=not as_json) as progress:
        progress.stage(f"loading {lab.name}")
        spec = load_lab(lab)
        progress.stage(f"building {spec.name}")
        eng = make_engine(engine, allow_loops=True) if engine == "linux" and allow_loops \
            else make_engine(engine)

        def on_result(r: CheckResult) -> None:
            if not as_json:
                click.echo(verdict_line(r))  # click.echo flushes: it is out at once
            progress.advance()

        try:
            eng.realize(spec)
            progress.stage("checks", total=len(spec.checks))
            report = run_checks(eng, spec, on_result=on_result)
            # a storm the emulator's guard stopped (or the kernel measured with --allow-loops)
            summary = getattr(eng, "storm_summary", None)
            storm = summary() if summary is not None else None
        finally:
            eng.teardown()
    if as_json:
        from vnetlab.tools.jsonout import report_json

        click.echo(json.dumps(report_json(report, storm), indent=2))
    else:
        console.print(report_table(report))
        console.print(report_summary(report))
        if storm:
            console.print(storm, markup=False, style="bold red")
    sys.exit(0 if report.ok else 1)


def _engine(engine: str, programs: tuple[str, ...] = ()) -> Any:
    """The engine; on the linux engine ``programs`` are the real programs this command
    runs itself, checked before anything is built (``vnetlab.kernel.hostprogs``)."""
    from vnetlab.api import make_engine

    return make_engine(engine, programs_needed=programs) if engine == "linux" else \
        make_engine(engine)


def _realized(lab: Path, engine: str, after_checks: bool,
              programs: tuple[str, ...] = ()) -> tuple[LabSpec, Any]:
    from vnetlab.model import load_lab

    spec = load_lab(lab)
    eng = _engine(engine, programs)
    eng.realize(spec)
    if after_checks:
        from vnetlab.tools.checks import run_checks

        run_checks(eng, spec)
    return spec, eng


after_checks_opt = click.option(
    "--after-checks", is_flag=True,
    help="Run the lab's checks first, so their traffic has filled FDBs and neighbour tables.",
)


@cli.command()
@lab_arg
@engine_opt
@after_checks_opt
@json_opt
@friendly
def show(lab: Path, engine: str, after_checks: bool, as_json: bool) -> None:
    """Nodes, interfaces, addresses, routes, neighbours and bridge FDBs of LAB."""
    from vnetlab.cli.render import print_state

    _, eng = _realized(lab, engine, after_checks)
    try:
        state = eng.observe()
    finally:
        eng.teardown()
    if as_json:
        click.echo(json.dumps(state.to_json(), indent=2))
    else:
        print_state(console.get(), state)


@cli.command()
@lab_arg
@click.argument("node")
@click.argument("dst")
@click.option("-c", "count", type=click.IntRange(1, 1000), default=3, show_default=True)
@click.option("-s", "size", type=click.IntRange(0, 65507), default=56, show_default=True)
@click.option("-M", "pmtu", type=click.Choice(["do", "want"]), default="want",
              help="do: set DF and never fragment (ping -M do).")
@engine_opt
@after_checks_opt
@json_opt
@friendly
def ping(lab: Path, node: str, dst: str, count: int, size: int, pmtu: str, engine: str,
         after_checks: bool, as_json: bool) -> None:
    """Ping DST from NODE inside LAB, printed like iputils ping (exit 1: no reply)."""
    from vnetlab.cli.render import ping_json, ping_lines

    addr = _ip(dst)
    _, eng = _realized(lab, engine, after_checks, programs=("ping",))
    try:
        r = eng.ping(node, addr, count=count, size=size, dont_fragment=pmtu == "do")
    finally:
        eng.teardown()
    from vnetlab.tools.jsonout import PING_INTERVAL_MS

    interval = PING_INTERVAL_MS.get(engine, 1000)
    if as_json:
        click.echo(json.dumps(ping_json(r, size, interval), indent=2))
    else:
        click.echo("\n".join(ping_lines(r, size, interval)))
    sys.exit(0 if r.received else 1)


@cli.command()
@lab_arg
@click.option("--from", "src", required=True, help="Node the packet starts in.")
@click.option("--to", "dst", required=True, help="Destination IPv4 address.")
@click.option("-s", "size", type=click.IntRange(0, 65507), default=56, show_default=True)
@after_checks_opt
@json_opt
@friendly
def trace(lab: Path, src: str, dst: str, size: int, after_checks: bool, as_json: bool) -> None:
    """Explain one packet's path from NODE to IP, hop by hop, ending in a verdict.

    With --json: the tree with typed events and drop reasons (docs/trace-json.md).
    """
    from vnetlab.tools.trace_render import render_trace, trace_json

    addr = _ip(dst)
    _, eng = _realized(lab, "sim", after_checks)
    try:
        t = eng.trace(src, addr, size=size)
    finally:
        eng.teardown()
    if as_json:
        click.echo(json.dumps(trace_json(t), indent=2))
    else:
        click.echo(render_trace(t))
    sys.exit(0 if t.delivered else 1)


@cli.command()
@lab_arg
@click.argument("ifaces", nargs=-1, required=True, metavar="NODE:IFNAME...")
@click.option("-o", "outdir", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Directory for one pcap file per interface (made if missing).")
@engine_opt
@json_opt
@friendly
def capture(lab: Path, ifaces: tuple[str, ...], outdir: Path, engine: str,
            as_json: bool) -> None:
    """Capture NODE:IFNAME... to pcap files while the lab's checks run.

    Only the interfaces named are written to the directory."""
    from vnetlab.cli.render import report_summary
    from vnetlab.model import load_lab
    from vnetlab.tools.checks import run_checks
    from vnetlab.wire.pcap import read_pcap

    spec = load_lab(lab)
    for ep in ifaces:
        node, sep, ifname = ep.partition(":")
        if not sep or node not in spec.nodes or ifname not in spec.nodes[node].interfaces:
            raise EngineError(
                f"{ep!r} is not an interface of this lab",
                hint="write NODE:IFNAME, e.g. "
                + ", ".join(f"{n}:{i}" for n, ns in spec.nodes.items() for i in ns.interfaces),
            )
    try:  # before anything is built: a directory that cannot be made is bad input
        outdir.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        report_os_error("create directory", e, as_json=as_json,
                        hint="give -o a directory you can write, e.g. -o ./captures")
    eng = _engine(engine, programs=("tcpdump",))
    try:
        eng.realize(spec)
        report = run_checks(eng, spec, capture_dir=outdir, capture=ifaces)
    finally:
        eng.teardown()
    files = []
    for ep in dict.fromkeys(ifaces):
        node, _, ifname = ep.partition(":")
        path = outdir / f"{node}-{ifname}.pcap"
        files.append({"interface": ep, "path": str(path),
                      "frames": len(read_pcap(path)) if path.exists() else 0})
    if as_json:
        click.echo(json.dumps({"lab": report.lab, "engine": report.engine, "ok": report.ok,
                               "counts": report.counts, "captures": files}, indent=2))
    else:
        for f in files:
            click.echo(f"{f['path']}: {f['frames']} frames")
        console.print(report_summary(report))
    sys.exit(0 if report.ok else 1)


@cli.command()
def schema() -> None:
    """Print the JSON Schema of the lab file format."""
    from vnetlab.model import lab_json_schema

    click.echo(json.dumps(lab_json_schema(), indent=2))


# up / down / status / gc / exec: labs that stay up on the real kernel
_register_linux_cmds(cli, friendly=friendly, console=console)
# script / shell / export: the real ip/bridge commands on the emulator
_register_script_cmds(cli, friendly=friendly)
# lint: a lab's failure modes and exposures, before it is built
_register_lint_cmds(cli, friendly=friendly)
# iperf: modelled throughput on the emulator, iperf3 on the kernel
_register_perf_cmds(cli, friendly=friendly)
# snapshot: a real host's (or a saved dump's) networking as a lab file
_register_snapshot_cmds(cli, friendly=friendly)
# graph / serve: the lab as a picture and as a live web page
_register_graph_cmds(cli, friendly=friendly)
# bench dataplane: the kernel's data paths measured (root)
_register_bench_cmds(cli, friendly=friendly, console=console)


def _terminate(signum: int, _frame: object) -> None:
    # SIGTERM/SIGHUP (CI cancelling, `timeout`, a closed terminal) unwind like Ctrl-C, so
    # every `finally: engine.teardown()` runs and no lab is left behind
    raise SystemExit(128 + signum)


def main() -> None:
    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGHUP, _terminate)
    cli(prog_name="vnetlab")


if __name__ == "__main__":
    main()
