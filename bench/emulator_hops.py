"""Emulator speed: frame-hops per second through a 100-port Linux bridge.

A frame-hop is one delivery of a frame to a device by the scheduler (here: veth end →
bridge port, then bridge → veth → the destination end: two hops per frame). Learning is
on, tracing off, the FDB already knows every MAC. The baseline, measured in the same run,
is a bare Python dispatch loop doing the minimum per hop: pop from a queue, one dict lookup
on the destination MAC, push to the queue. Prints both rates and ``ratio: X`` (vnetlab's
rate over the baseline's). Goal: ratio >= 0.5.

Both loops run under the same garbage-collector setting: the young-generation threshold
the emulator's scheduler uses while it runs (``GC_GEN0_THRESHOLD``), so neither side is
measured with a handicap the other does not have.

    python bench/emulator_hops.py [--ports 100] [--frames 200000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import gc
import random
import time
from collections import deque

from vnetlab.sim.clock import GC_GEN0_THRESHOLD, Scheduler
from vnetlab.sim.devices.bridge import BridgeDevice
from vnetlab.sim.devices.veth import Veth
from vnetlab.sim.netdev import NetDevice, Skb
from vnetlab.sim.stack.netns import Namespace


def build(ports: int) -> tuple[Scheduler, list[Veth], list[bytes], list[int]]:
    sched = Scheduler()
    host = Namespace("host", sched)
    br = BridgeDevice(host, "br0", bytes.fromhex("02aa00000000"))
    ends: list[Veth] = []
    macs: list[bytes] = []
    received = [0]

    def sink(_dev: NetDevice, _skb: Skb) -> None:
        received[0] += 1

    for i in range(ports):
        mac = bytes.fromhex(f"02bb0000{i:04x}")
        port = Veth(host, f"p{i}", bytes.fromhex(f"02cc0000{i:04x}"))
        end = Veth(host, f"e{i}", mac)  # the far end, as if in a container
        Veth.pair(port, end)
        br.add_port(port)
        end.rx_handler = sink  # a bare endpoint: count, no IP stack
        ends.append(end)
        macs.append(mac)
    br.set_admin(True)
    for d in list(host.devices.values()):
        d.set_admin(True)
    # teach the bridge every MAC once
    for i, end in enumerate(ends):
        end.xmit(Skb(macs[(i + 1) % ports] + macs[i] + b"\x08\x00" + bytes(46)))
    # bounded: running to completion would also run the FDB ageing timer 300 s later
    sched.run(until=sched.now + 1_000_000_000)
    assert len(br.fdb) >= 2 * ports, "every MAC learned"
    return sched, ends, macs, received


def vnetlab_rate(ports: int, frames: int, seed: int) -> tuple[float, int]:
    sched, ends, macs, received = build(ports)
    rnd = random.Random(seed)
    pairs = []
    for _ in range(frames):
        s = rnd.randrange(ports)
        d = rnd.randrange(ports - 1)
        d += d >= s
        # frames are built before the clock starts, as the baseline's are
        pairs.append((ends[s], Skb(macs[d] + macs[s] + b"\x08\x00" + bytes(46))))
    before_events = sched.events_run
    before_rx = received[0]
    t0 = time.perf_counter()
    for end, skb in pairs:
        end.xmit(skb)
    sched.run(until=sched.now + 1_000_000_000)
    dt = time.perf_counter() - t0
    hops = sched.events_run - before_events
    assert received[0] - before_rx == frames, "every frame delivered to its destination only"
    return hops / dt, hops


def baseline_rate(ports: int, frames: int, seed: int) -> float:
    rnd = random.Random(seed)
    macs = [bytes.fromhex(f"02bb0000{i:04x}") for i in range(ports)]
    table = {m: i for i, m in enumerate(macs)}
    items = [(0, macs[rnd.randrange(ports)] + bytes(54)) for _ in range(frames)]
    t0 = time.perf_counter()
    q: deque[tuple[int, bytes]] = deque(items)
    hops = 0
    while q:
        h, f = q.popleft()
        hops += 1
        table[f[0:6]]
        if h == 0:
            q.append((1, f))
    dt = time.perf_counter() - t0
    return hops / dt


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ports", type=int, default=100)
    ap.add_argument("--frames", type=int, default=200_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    g = gc.get_threshold()
    gc.set_threshold(GC_GEN0_THRESHOLD, g[1], g[2])
    best_v = best_b = 0.0
    for r in range(args.repeat):
        v, hops = vnetlab_rate(args.ports, args.frames, seed=r)
        b = baseline_rate(args.ports, args.frames, seed=r)
        best_v, best_b = max(best_v, v), max(best_b, b)
        print(f"run {r + 1}: vnetlab {v:,.0f} hops/s ({hops:,} hops)   baseline {b:,.0f} hops/s")
    print(f"vnetlab bridge ({args.ports} ports, learning on, tracing off): {best_v:,.0f} hops/s")
    print(f"bare dispatch loop (dict lookup + queue):               {best_b:,.0f} hops/s")
    print(f"ratio: {best_v / best_b:.3f}")


if __name__ == "__main__":
    main()
