"""``vnetlab graph`` (a lab as a picture) and ``vnetlab serve`` (the live web view).

Registered explicitly from ``vnetlab.cli.main`` (``register``). Everything heavy (the
model, the engines, Starlette and uvicorn) is imported inside the commands, so
``vnetlab --help`` stays cheap.
"""

from __future__ import annotations

import ipaddress
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from vnetlab.engine import ENGINE_NAMES, EngineError

#: file suffix -> format, when ``-o`` names the file and ``--format`` is not given
_SUFFIX_FORMAT = {".svg": "svg", ".png": "png", ".dot": "dot", ".gv": "dot",
                  ".mmd": "mermaid", ".mermaid": "mermaid"}


def _format_of(fmt: str | None, out: Path | None) -> str:
    if fmt is not None:
        return fmt
    if out is not None and out.suffix.lower() in _SUFFIX_FORMAT:
        return _SUFFIX_FORMAT[out.suffix.lower()]
    return "svg"


def _ip(value: str) -> ipaddress.IPv4Address:
    try:
        return ipaddress.IPv4Address(value)
    except ValueError:
        raise EngineError(f"{value!r} is not an IPv4 address like 192.168.1.3",
                          hint="--trace FROM TO takes a node and an address") from None


def register(cli: click.Group, *, friendly: Callable[[Any], Any]) -> None:
    """Add ``graph`` and ``serve`` to ``cli`` (called once by ``vnetlab.cli.main``)."""

    @cli.command()
    @click.argument("lab", type=click.Path(dir_okay=False, path_type=Path))
    @click.option("-o", "out", type=click.Path(dir_okay=False, path_type=Path),
                  help="Write to FILE (default: standard output).")
    @click.option("--format", "fmt", type=click.Choice(["svg", "png", "dot", "mermaid"]),
                  help="svg and png are laid out by Graphviz's dot; dot and mermaid are "
                  "text. Default: from -o's suffix, else svg.")
    @click.option("--trace", "trace", nargs=2, metavar="FROM TO",
                  help="Draw the path of a traced ping from node FROM to address TO (the "
                  "emulator), with its verdict (exit 1 if it is not delivered, as `trace`).")
    @friendly
    def graph(lab: Path, out: Path | None, fmt: str | None,
              trace: tuple[str, str] | None) -> None:
        """Draw LAB: namespaces as boxes with their devices, links, bridges and ports,
        VLANs as colours, tunnels with their VNI, OVS ports with their numbers."""
        from vnetlab.model import load_lab
        from vnetlab.tools.graph import build_topology, run_dot, to_dot, to_mermaid, trace_path

        spec = load_lab(lab)
        fmt = _format_of(fmt, out)
        if fmt == "png" and out is None and sys.stdout.isatty():
            raise EngineError("a PNG is binary; it is not written to a terminal",
                              hint="write it to a file: -o lab.png")
        topo = build_topology(spec)
        path = None
        if trace is not None:
            from vnetlab.api import make_engine
            from vnetlab.tools.trace_render import trace_json

            src, dst = trace[0], _ip(trace[1])
            if src not in spec.nodes:
                raise EngineError(f"no node {src!r} in this lab",
                                  hint=f"nodes: {', '.join(spec.nodes)}")
            eng = make_engine("sim")
            try:
                eng.realize(spec)
                t = eng.trace(src, dst)  # type: ignore[attr-defined]
            finally:
                eng.teardown()
            path = trace_path(topo, trace_json(t))
        if fmt == "mermaid":
            data = to_mermaid(topo, path).encode()
        else:
            dot = to_dot(topo, path)
            data = dot.encode() if fmt == "dot" else run_dot(dot, fmt)
        if out is None:
            sys.stdout.buffer.write(data)
            sys.stdout.buffer.flush()
        else:
            try:
                out.write_bytes(data)
            except OSError as e:
                raise EngineError(f"cannot write {out}: {e.strerror or e}",
                                  hint="give -o a file in a directory you can write") from None
        if path is not None:
            click.echo(f"verdict: {path.verdict}", err=True)
            # as `vnetlab trace`: the picture is written either way, exit 1 if not delivered
            sys.exit(0 if path.delivered else 1)

    @cli.command()
    @click.argument("lab")
    @click.option("--engine", type=click.Choice(ENGINE_NAMES), default="sim",
                  show_default=True,
                  help="sim: build LAB (a file) in the emulator; linux: show a lab that "
                  "`vnetlab up` brought up (its file or its name).")
    @click.option("--port", type=click.IntRange(0, 65535), default=0,
                  help="TCP port (default: a free one).")
    @click.option("--bind", "host", default="127.0.0.1", show_default=True,
                  help="Address to listen on; anything but loopback needs "
                  "--i-know-this-exposes-the-lab.")
    @click.option("--i-know-this-exposes-the-lab", "exposed", is_flag=True,
                  help="Allow --bind on an address other machines can reach (whoever has "
                  "the token runs checks and pings in the lab).")
    @friendly
    def serve(lab: str, engine: str, port: int, host: str, exposed: bool) -> None:
        """A local web page for LAB: topology, live counters, tables, checks, traces and
        pcap downloads. Prints the URL (with its token) and serves until Ctrl-C."""
        from vnetlab.web.server import is_loopback, prepare
        from vnetlab.web.session import LabSession

        if not is_loopback(host) and not exposed:
            raise EngineError(
                f"--bind {host} would let other machines reach the lab's web view",
                hint="add --i-know-this-exposes-the-lab if that is what you want")
        if engine == "sim":
            from vnetlab.api import make_engine
            from vnetlab.model import load_lab

            spec = load_lab(Path(lab))
            eng = make_engine("sim")
            eng.realize(spec)
            session = LabSession(spec, eng, owns_engine=True)
        else:
            from vnetlab.cli.linux_cmds import lab_name_of
            from vnetlab.kernel.engine import LinuxEngine

            leng = LinuxEngine.attach(lab_name_of(lab))
            if leng.lab is None:
                raise EngineError(f"lab {lab!r} is up but its spec was not recorded",
                                  hint="bring it down and up again with this vnetlab")
            session = LabSession(leng.lab, leng, owns_engine=False)
        try:
            served = prepare(session, host, port)
            click.echo(f"vnetlab serve: lab {session.lab.name} on the {engine} engine")
            click.echo(f"open {served.url}")
            click.echo("Ctrl-C stops it", err=True)
            sys.stdout.flush()
            served.run()
        finally:
            session.close()
