"""``vnetlab bench dataplane``: the kernel's data paths measured here, beside the seed's
claims (registered on the main group by ``register``).

Design note
-----------
The measuring is ``vnetlab.kernel.bench`` (root, the linux engine); this module parses
the options, shows a rich progress bar while the paths run (minutes of work), prints the
table (median and min–max of the runs; the seed's throughput and latency claim beside
them; skipped paths with the reason the kernel probe gave), and writes what was asked:
``--json FILE`` (the bench document), ``--out DIR`` (plots, ``vnetlab.tools.benchplot``,
and ``costs.json``), ``--costs-out FILE`` (the ``vnetlab-costs/1`` file the emulator's
cost model reads through ``VNETLAB_COSTS`` or ``vnetlab iperf --costs``).
``--from-json FILE`` re-renders a saved result without root. Exit status: 0 every path
measured or skipped; 1 a path failed while measuring; 2 bad input or no root.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from vnetlab.engine import EngineError


def _fmt(f: dict[str, Any] | None, scale: float) -> str:
    """``median (min–max)`` with three significant digits (``–``: not measured)."""
    if not f:
        return "–"
    med = f"{f['median'] / scale:.3g}"
    if f.get("n", 1) > 1:
        return f"{med} ({f['min'] / scale:.3g}–{f['max'] / scale:.3g})"
    return med


def table_rows(doc: dict[str, Any]) -> list[list[str]]:
    """The table's rows (plain strings; also the README table's). A path that did not
    run says ``skipped``/``failed`` in its throughput column (``not_run`` says why)."""
    rows = []
    for name, r in doc.get("paths", {}).items():
        seed = r.get("seed") or {}
        claim = f"{seed['throughput']}, {seed['latency']}" if seed else "–"
        if seed and seed.get("device") and seed["device"] not in r.get("title", ""):
            claim = f"{seed['device']}: {claim}"  # the seed's row for another device
        title = r.get("title", name)
        if r.get("status") != "measured":
            rows.append([title, str(r.get("status")), "", "", "", "", "", claim])
            continue
        f = r.get("figures", {})
        rr = "–"
        if f.get("rr_p50_us") and f.get("rr_p99_us"):
            rr = f"{f['rr_p50_us']['median']:.0f} / {f['rr_p99_us']['median']:.0f}"
        rows.append([title, _fmt(f.get("tcp_bps"), 1e9), _fmt(f.get("tcp_parallel_bps"), 1e9),
                     _fmt(f.get("udp64_pps"), 1e3), rr, _fmt(f.get("ping_p50_us"), 1),
                     _fmt(f.get("cpu_s_per_gb"), 1), claim])
    return rows


def not_run(doc: dict[str, Any]) -> list[str]:
    """``TITLE: skipped: REASON`` for each path that was not measured."""
    return [f"{r.get('title', n)}: {r.get('status')}: {r.get('reason', '')}"
            for n, r in doc.get("paths", {}).items() if r.get("status") != "measured"]


def headers(doc: dict[str, Any]) -> list[str]:
    return ["path", "TCP Gb/s", f"TCP -P {doc.get('parallel', 4)} Gb/s", "UDP 64 B kpps",
            "RR p50/p99 µs", "ping p50 µs", "CPU s/GB", "seed claims"]


def markdown_table(doc: dict[str, Any]) -> str:
    """The table as Markdown (the README's), the reasons for skipped paths below it."""
    h = headers(doc)
    lines = ["| " + " | ".join(h) + " |", "|" + "---|" * len(h)]
    lines += ["| " + " | ".join(row) + " |" for row in table_rows(doc)]
    lines += ["", *(f"- {line}" for line in not_run(doc))] if not_run(doc) else []
    return "\n".join(lines) + "\n"


def _print_table(doc: dict[str, Any], console: Any) -> None:
    from rich.markup import escape
    from rich.table import Table

    m = doc.get("machine", {})
    t = Table(title=f"vnetlab bench dataplane — {doc.get('date')}, {m.get('cpu_model')} "
                    f"({m.get('cpus')} CPUs), kernel {m.get('kernel')}, load average "
                    f"{m.get('load_avg')}, {doc.get('repeat')} × {doc.get('seconds')} s",
              caption="median (min–max of the runs); CPU s/GB: the lab's processes' CPU "
                      "time per gigabyte received (TCP, 1 stream)")
    narrow = console.is_terminal and console.width < 170
    for i, h in enumerate(headers(doc)):
        # the figures keep to one line where there is room (piped, or a wide terminal); a
        # narrow terminal wraps them rather than squeezing the path's name out
        t.add_column(h, justify="left" if i in (0, 7) else "right",
                     no_wrap=i not in (0, 7) and not narrow, overflow="fold",
                     min_width=12 if i in (0, 7) else None)
    for row in table_rows(doc):
        cells = [escape(c) for c in row]
        if row[1] in ("skipped", "failed"):
            cells[1] = f"[{'yellow' if row[1] == 'skipped' else 'red'}]{row[1]}[/]"
        t.add_row(*cells)
    if console.is_terminal:
        console.print(t)
    else:  # piped: one line per path (a file has no width to fit; print caps at 140)
        from rich.console import Console

        Console(file=sys.stdout, width=220, highlight=False, emoji=False).print(t)
    for line in not_run(doc):
        console.print(line, markup=False)


def _run(path_names: list[str] | None, quick: bool, repeat: int | None,
         seconds: float | None, parallel: int) -> dict[str, Any]:
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from vnetlab.cli.console import err_console
    from vnetlab.kernel.bench import paths, runner
    from vnetlab.kernel.engine import require_root

    try:
        require_root("`vnetlab bench dataplane` (it builds labs on the linux engine)")
    except EngineError as e:
        raise EngineError(str(e.args[0]), hint="run it with sudo; a saved result renders "
                          "without root: --from-json FILE") from None
    try:
        chosen = paths.select(path_names, quick)
    except ValueError as e:
        raise click.BadParameter(str(e), param_hint="--paths") from None
    s = runner.Settings(repeat=repeat or (1 if quick else 3),
                        seconds=seconds or (1.0 if quick else 2.0), parallel=parallel,
                        ping_count=20 if quick else 50)
    planned = runner.plan_paths(chosen)
    with Progress(TextColumn("{task.description}"), BarColumn(),
                  TextColumn("{task.completed}/{task.total}"), TimeElapsedColumn(),
                  console=err_console.get(), transient=True) as prog:
        task = prog.add_task("starting", total=runner.steps_total(planned, s))

        def step(name: str, what: str) -> None:
            prog.update(task, description=f"{name}: {what}")
            prog.advance(task)

        result = runner.run_bench(chosen, s, step, planned=planned)
    return result.to_json()


def register(cli: click.Group, *, friendly: Callable[[Any], Any], console: Any) -> None:
    @cli.group("bench")
    def bench() -> None:
        """Measure this host (root): the kernel's data paths, beside the seed's claims."""

    @bench.command("dataplane")
    @click.option("--paths", "path_names", default=None,
                  help="Comma-separated paths (default: all; --quick: veth): lo, veth, "
                  "bridge, vxlan, geneve, macvlan, ipvlan, ovs, tuntap.")
    @click.option("--repeat", type=click.IntRange(1, 50), default=None,
                  help="Runs per path; the median and min–max are reported [3; --quick 1].")
    @click.option("--seconds", type=click.FloatRange(0.5, 60), default=None,
                  help="Seconds per iperf3 test [2; --quick 1].")
    @click.option("-P", "--parallel", type=click.IntRange(2, 64), default=4,
                  show_default=True, help="Streams of the parallel TCP test (iperf3 -P).")
    @click.option("--quick", is_flag=True, help="One short run (veth unless --paths).")
    @click.option("--json", "json_file", type=click.Path(dir_okay=False, path_type=Path),
                  default=None, help="Write the result document here.")
    @click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
                  default=None, help="Write plots (PNG, SVG) and costs.json here.")
    @click.option("--costs-out", type=click.Path(dir_okay=False, path_type=Path),
                  default=None, help="Write the emulator's cost file (vnetlab-costs/1) "
                  "here; needs the lo path (the host stack) among those measured.")
    @click.option("--from-json", type=click.Path(exists=True, dir_okay=False,
                                                 path_type=Path),
                  default=None, help="Render a saved result again (no root, nothing run).")
    @friendly
    def dataplane(path_names: str | None, repeat: int | None, seconds: float | None,
                  parallel: int, quick: bool, json_file: Path | None, out_dir: Path | None,
                  costs_out: Path | None, from_json: Path | None) -> None:
        """Measure TCP (1 and -P streams), UDP 64-byte rate, UDP request/response and ping
        latency and CPU per GB through veth, bridge, VXLAN, Geneve, MACVLAN, IPVLAN, OVS
        and TAP paths built in namespaces; paths this kernel lacks are skipped."""
        if from_json is not None:
            try:
                doc = json.loads(from_json.read_text())
            except (OSError, ValueError) as e:
                raise EngineError(f"{from_json}: cannot read the bench result: {e}") from None
            if not isinstance(doc, dict) or doc.get("format") != "vnetlab-bench-dataplane/1":
                raise EngineError(f"{from_json}: not a bench result",
                                  hint="wants \"format\": \"vnetlab-bench-dataplane/1\"")
        else:
            names = [n.strip() for n in path_names.split(",") if n.strip()] \
                if path_names else None
            doc = _run(names, quick, repeat, seconds, parallel)
        _print_table(doc, console)
        if json_file is not None:
            json_file.parent.mkdir(parents=True, exist_ok=True)
            json_file.write_text(json.dumps(doc, indent=2) + "\n")
            console.print(f"wrote {json_file}", markup=False)
        wants_costs = [p for p in (costs_out, out_dir / "costs.json" if out_dir else None)
                       if p is not None]
        if wants_costs:
            from vnetlab.kernel.bench import costs

            if doc["paths"].get("lo", {}).get("status") != "measured":
                console.print("no costs file: the lo path (the host stack) was not "
                              "measured, and every kind is derived from it", markup=False)
            else:
                cdoc = costs.costs_document(
                    costs.measured_from_bench(doc), tool="vnetlab bench dataplane",
                    header={"date": doc["date"], "machine": doc["machine"],
                            "repeat": doc["repeat"], "seconds_per_run": doc["seconds"]})
                from vnetlab.sim.perf.cost import parse_costs

                parse_costs(cdoc, "costs")  # the emulator's reader accepts it
                for p in wants_costs:
                    costs.write_costs(cdoc, p)
                    console.print(f"wrote {p}", markup=False)
        if out_dir is not None:
            from vnetlab.tools.benchplot import write_plots

            for p in write_plots(doc, out_dir):
                console.print(f"wrote {p}", markup=False)
        failed = [n for n, r in doc["paths"].items() if r.get("status") == "failed"]
        sys.exit(1 if failed else 0)
