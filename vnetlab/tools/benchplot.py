"""Plots of a ``vnetlab bench dataplane`` result: throughput bars with their spread,
latency CDFs; PNG and SVG.

Design note
-----------
Input is the bench's JSON document (``vnetlab-bench-dataplane/1``), so plots can be made
again from a saved ``--json`` file without root. matplotlib is imported inside
``write_plots`` (with the non-interactive Agg backend), never at module import: the CLI
imports this module only when it plots, and nobody else pays for matplotlib's start-up.
Bars are the medians; the error bars span min..max of the runs; the seed's claimed range
for the device, where it has one, is drawn as a grey band behind the bar. Latency CDFs are
of every sample of all runs pooled (UDP request/response and ping), on a log time axis.
SVGs are written with ``svg.hashsalt`` fixed and no date, so the same result gives the
same file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

FILES = ("throughput.png", "throughput.svg", "latency_cdf.png", "latency_cdf.svg")


def _measured(doc: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [(name, r) for name, r in doc.get("paths", {}).items()
            if r.get("status") == "measured" and r.get("figures")]


def _bars(ax: Any, rows: list[tuple[str, dict[str, Any]]], series: list[tuple[str, str]],
          scale: float, ylabel: str, seed: bool) -> None:
    n = max(1, len(series))
    width = 0.8 / n
    xs = list(range(len(rows)))
    for i, (key, label) in enumerate(series):
        med, lo, hi, pos = [], [], [], []
        for x, (_name, r) in zip(xs, rows, strict=True):
            f = r["figures"].get(key)
            if not f:
                continue
            pos.append(x - 0.4 + width * (i + 0.5))
            med.append(f["median"] / scale)
            lo.append((f["median"] - f["min"]) / scale)
            hi.append((f["max"] - f["median"]) / scale)
        ax.bar(pos, med, width, yerr=[lo, hi], capsize=3, label=label)
    if seed:
        for x, (_name, r) in zip(xs, rows, strict=True):
            g = r.get("seed", {}).get("gbps")
            if g:
                ax.fill_between([x - 0.45, x + 0.45], g[0], g[1], color="0.85", zorder=0,
                                label="seed's claim" if x == next(
                                    i for i, (_n, rr) in enumerate(rows)
                                    if rr.get("seed", {}).get("gbps")) else None)
    ax.set_xticks(xs, [r.get("title", n) for n, r in rows], rotation=25, ha="right",
                  fontsize=8)
    ax.set_ylabel(ylabel)
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=8)


def write_plots(doc: dict[str, Any], out: Path) -> list[Path]:
    """Write the plots of ``doc`` into directory ``out``; the files written."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    matplotlib.rcParams["svg.hashsalt"] = "vnetlab"
    out.mkdir(parents=True, exist_ok=True)
    rows = _measured(doc)
    written: list[Path] = []
    m = doc.get("machine", {})
    where = (f"{doc.get('date', '?')}, {m.get('cpu_model', '?')}, {m.get('cpus', '?')} CPUs, "
             f"kernel {m.get('kernel', '?')}, load {m.get('load_avg', '?')}")
    par = doc.get("parallel", 4)

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.8))
    _bars(ax1, rows, [("tcp_bps", "TCP, 1 stream"), ("tcp_parallel_bps", f"TCP, -P {par}")],
          1e9, "Gb/s", seed=True)
    ax1.set_title("TCP throughput (median, min-max)")
    _bars(ax2, rows, [("udp64_pps", "UDP 64 B, received")], 1e3, "kpps", seed=False)
    ax2.set_title("UDP packet rate at 64 bytes")
    fig.suptitle(f"vnetlab bench dataplane — {where}", fontsize=9)
    fig.tight_layout()
    for ext in ("png", "svg"):
        p = out / f"throughput.{ext}"
        fig.savefig(p, dpi=110, metadata={"Date": None} if ext == "svg" else None)
        written.append(p)
    plt.close(fig)

    fig, axes = plt.subplots(1, 2, figsize=(12, 4.8), sharey=True)
    for ax, key, title in ((axes[0], "rr_us", "UDP request/response round trip"),
                           (axes[1], "ping_us", "ping round trip")):
        for name, r in rows:
            lat = r.get("latency", {}).get(key)
            if not lat or not lat.get("cdf"):
                continue
            xs = [p[0] for p in lat["cdf"]]
            ys = [p[1] for p in lat["cdf"]]
            ax.step(xs, ys, where="post", label=f"{r.get('title', name)} "
                    f"(p50 {lat['p50']:.0f}, p99 {lat['p99']:.0f} µs)")
        ax.set_xscale("log")
        ax.set_xlabel("µs")
        ax.set_title(title)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    axes[0].set_ylabel("fraction of samples")
    fig.suptitle(f"latency CDFs — {where}", fontsize=9)
    fig.tight_layout()
    for ext in ("png", "svg"):
        p = out / f"latency_cdf.{ext}"
        fig.savefig(p, dpi=110, metadata={"Date": None} if ext == "svg" else None)
        written.append(p)
    plt.close(fig)
    return written
