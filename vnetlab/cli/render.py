"""rich rendering of reports and observed state for people; JSON is done by the caller.

Every piece of data (names, MACs, addresses, check subjects) goes through ``_e`` before it
reaches a rich table or rule: rich reads ``[...]`` as markup, and data such as a node name
``[red]`` is text to show, not a style.
"""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from vnetlab.engine import PingResult
from vnetlab.model.state import LabState
from vnetlab.tools.checks import CheckResult, Report

# the JSON shapes live in tools (the web view serves the same); re-exported here
from vnetlab.tools.jsonout import PingStats, ping_json, ping_stats

__all__ = ["PingStats", "ping_json", "ping_lines", "ping_stats", "print_state", "report_summary",
           "report_table", "verdict_line"]


def _e(data: object) -> str:
    """Data as rich text that shows exactly as written."""
    return escape(str(data))


_STATUS = {"pass": "[green]PASS[/]", "fail": "[bold red]FAIL[/]", "skip": "[yellow]SKIP[/]"}


def report_table(report: Report) -> Table:
    t = Table(title=f"lab {_e(report.lab)} — engine {report.engine} — seed {report.seed}",
              title_justify="left")
    t.add_column("#", justify="right")
    t.add_column("check", overflow="fold")
    t.add_column("expected", overflow="fold")
    t.add_column("verdict")
    t.add_column("observed", overflow="fold")
    for r in report.results:
        observed = r.got + (f" — {r.detail}" if r.detail else "")
        t.add_row(str(r.index + 1), _e(f"{r.kind} {r.subject}"), _e(r.expected),
                  _STATUS[r.status], _e(observed))
    return t


def verdict_line(r: CheckResult) -> str:
    """One check's verdict as plain text, printed the moment it is known (``vnetlab run``):
    ``#3 PASS ping a -> 192.0.2.254: reachable — 1/1 replies, rtt 26 us`` (the number is
    the table's)."""
    observed = r.got + (f" — {r.detail}" if r.detail else "")
    return f"#{r.index + 1} {r.status.upper()} {r.kind} {r.subject}: {observed}"


def report_summary(report: Report) -> str:
    c = report.counts
    word = "[green]all checks passed[/]" if report.ok else "[bold red]checks failed[/]"
    return f"{word}: {c['pass']} passed, {c['fail']} failed, {c['skip']} skipped"


def print_state(console: Console, state: LabState) -> None:
    for node in state.nodes.values():
        console.rule(f"[bold]{_e(node.name)}[/]")
        t = Table("interface", "kind", "state", "mtu", "mac", "master", "addresses", "peer",
                  "rx pkts", "tx pkts", "drops rx/tx", box=None)
        addrs: dict[str, list[str]] = {}
        for a in node.addrs:
            addrs.setdefault(a.ifname, []).append(a.cidr)
        for ln in node.links:
            t.add_row(*map(_e, (ln.ifname, ln.kind, ln.operstate, ln.mtu, ln.mac,
                                ln.master or "", " ".join(addrs.get(ln.ifname, [])),
                                ln.peer or "")),
                      str(ln.stats.rx_packets), str(ln.stats.tx_packets),
                      f"{ln.stats.rx_dropped}/{ln.stats.tx_dropped}")
        console.print(t)
        if node.routes:
            rt = Table("route", box=None)
            for r in node.routes:
                s = r.dst + (f" via {r.via}" if r.via else "") + f" dev {r.dev}"
                if r.proto != "boot":
                    s += f" proto {r.proto}"
                if r.scope != "global":
                    s += f" scope {r.scope}"
                if r.prefsrc:
                    s += f" src {r.prefsrc}"
                rt.add_row(_e(s))
            console.print(rt)
        if node.neighs:
            nt = Table("neighbour", "dev", "lladdr", "state", box=None)
            for n in node.neighs:
                nt.add_row(*map(_e, (n.dst, n.dev, n.lladdr or "", n.state)))
            console.print(nt)
        if node.fdb:
            ft = Table("fdb mac", "port", "bridge", "flags", box=None)
            for f in node.fdb:
                ft.add_row(*map(_e, (f.mac, f.port, f.bridge, " ".join(f.flags))))
            console.print(ft)


def ping_lines(r: PingResult, size: int, interval_ms: int = 1000) -> list[str]:
    """iputils-style output (virtual RTTs in the emulator), the same lines as the script's
    ``ping``; the summary is iputils' ``finish()``: transmitted, received, errors, loss,
    time, then rtt min/avg/max/mdev."""
    out = [f"PING {r.dst} ({r.dst}) {size}({size + 28}) bytes of data."]
    for i, rtt in enumerate(r.rtts_ns, 1):
        ttl = f" ttl={r.ttls[i - 1]}" if i <= len(r.ttls) else ""
        out.append(f"{size + 8} bytes from {r.dst}: icmp_seq={i}{ttl} time={rtt / 1e6:.3f} ms")
    out.extend(r.errors)
    s = ping_stats(r, interval_ms)
    errs = f", +{s['errors']} errors" if s["errors"] else ""
    out.append("")
    out.append(f"--- {r.dst} ping statistics ---")
    out.append(f"{r.transmitted} packets transmitted, {r.received} received{errs}, "
               f"{s['loss_percent']}% packet loss, time {s['time_ms']}ms")
    spread = s["rtt_ms"]
    if spread is not None:
        out.append(f"rtt min/avg/max/mdev = {spread['min']:.3f}/{spread['avg']:.3f}/"
                   f"{spread['max']:.3f}/{spread['mdev']:.3f} ms")
    return out
