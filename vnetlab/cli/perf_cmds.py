"""``vnetlab iperf LAB SRC DST``: an iperf3 test inside a lab (registered on the main group
by ``register``). The emulator's figures are modelled (``vnetlab.sim.apps.iperf``); on the
linux engine the real iperf3 runs in the lab's namespaces and its figures are printed in
the same columns. Exit status 0: the test ran; 1: it failed (iperf3's error printed)."""

from __future__ import annotations

import ipaddress
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from vnetlab.engine import ENGINE_NAMES, IperfResult


def _summary(r: IperfResult) -> str:
    """A measured run in iperf3's columns (the kernel side keeps only the -J document)."""
    from vnetlab.sim.apps.iperf_fmt import RunFigures, render_text

    start: Any = r.json.get("start", {})
    conn = (start.get("connected") or [{}])[0]
    tcp = r.protocol == "TCP"
    f = RunFigures(
        tcp=tcp, src=str(conn.get("local_host", "?")), dst=str(r.dst),
        sport=int(conn.get("local_port", 0)), dport=int(conn.get("remote_port", 5201)),
        time_s=round(r.seconds, 2) or 1.0,
        blksize=int(start.get("test_start", {}).get("blksize", 0)),
        sent_bytes=round(r.sent_bps * (r.seconds or 1.0) / 8), recv_bytes=r.bytes,
        retransmits=r.retransmits, packets=r.packets, lost=r.lost_packets,
        jitter_ms=r.jitter_ms)
    text = render_text(f)
    return text + "measured: by iperf3 on the kernel (-J), printed in iperf3's columns\n"


def register(cli: click.Group, *, friendly: Callable[[Any], Any]) -> None:
    @cli.command("iperf")
    @click.argument("lab", type=click.Path(dir_okay=False, path_type=Path))
    @click.argument("src")
    @click.argument("dst")
    @click.option("-u", "--udp", is_flag=True, help="UDP at --bitrate (iperf3 -u).")
    @click.option("-b", "--bitrate", default="1M", show_default=True,
                  help="UDP target rate, K/M/G suffixes (iperf3 -b).")
    @click.option("-t", "--time", "secs", default="1", show_default=True,
                  help="Seconds (iperf3 -t; virtual time on the emulator).")
    @click.option("-l", "--len", "length", default=None, help="UDP payload (iperf3 -l).")
    @click.option("-w", "--window", default=None, help="TCP window (iperf3 -w).")
    @click.option("--engine", type=click.Choice(ENGINE_NAMES), default="sim",
                  show_default=True, help="sim: modelled; linux: the real iperf3 (root).")
    @click.option("--json", "as_json", is_flag=True, help="iperf3's -J document.")
    @click.option("--costs", "costs_file", type=click.Path(dir_okay=False, path_type=Path),
                  default=None, help="sim: the cost file (vnetlab-costs/1, e.g. from "
                  "`vnetlab bench dataplane --costs-out`) instead of $VNETLAB_COSTS or the "
                  "shipped one.")
    @friendly
    def iperf_cmd(lab: Path, src: str, dst: str, udp: bool, bitrate: str, secs: str,
                  length: str | None, window: str | None, engine: str,
                  as_json: bool, costs_file: Path | None) -> None:
        """Run an iperf3 test from node SRC to address DST inside LAB, printed as iperf3
        prints it (the emulator's figures say they are modelled)."""
        from pydantic import ValidationError

        from vnetlab.api import make_engine
        from vnetlab.model import load_lab
        from vnetlab.model.checks import IperfCheck

        try:
            addr = ipaddress.IPv4Address(dst)
        except ValueError:
            raise click.BadParameter(f"{dst!r} is not an IPv4 address like 10.0.0.2",
                                     param_hint="DST") from None
        try:  # the same words and limits as an iperf check in a lab file
            c = IperfCheck.model_validate({
                "iperf": f"{src} -> {addr}", "udp": udp, "bitrate": bitrate, "time": secs,
                **({"len": length} if length is not None else {}),
                **({"window": window} if window is not None else {})})
        except ValidationError as e:
            err = e.errors()[0]
            where = ".".join(str(p) for p in err["loc"]) or "arguments"
            msg = str(err["msg"]).removeprefix("Value error, ")
            raise click.BadParameter(msg, param_hint=where) from None
        if costs_file is not None:
            import os

            from vnetlab.sim.perf.cost import ENV_VAR, CostError, load_costs

            try:  # refused here, in words, before anything is built
                load_costs(costs_file)
            except CostError as e:
                raise click.BadParameter(str(e), param_hint="--costs") from None
            os.environ[ENV_VAR] = str(costs_file)  # what the iperf app reads
        spec = load_lab(lab)
        eng: Any = make_engine(engine, programs_needed=("iperf3",)) if engine == "linux" \
            else make_engine(engine)
        eng.realize(spec)
        try:
            r: IperfResult = eng.iperf(src, addr, udp=c.udp, bitrate=c.bitrate,
                                       time_s=c.time, length=c.len, window=c.window)
        finally:
            eng.teardown()
        if as_json:
            click.echo(json.dumps(r.json if r.json else {"error": r.errors[0]}, indent=2))
        elif r.errors:
            click.echo(r.errors[0], err=True)
        else:
            click.echo(r.text if r.text else _summary(r), nl=False)
        sys.exit(1 if r.errors else 0)
