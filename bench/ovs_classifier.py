"""Packets per second through the emulated OVS pipeline: megaflow hit vs full translation.

One bridge of the emulated ovs-vswitchd holds 10,000 OpenFlow rules over 10 masks (1,000
rules per mask: in_port, dl_dst, nw_dst/32, nw_dst/24, nw_src/32, tcp tp_dst, nw_src+nw_dst,
dl_src+dl_dst, in_port+nw_dst, tcp tp_src+tp_dst). A set of TCP packets, spread over the
ten masks, each hitting one rule, is sent through the datapath (``Dpif.receive``: megaflow
lookup, counters, the xlate cache's rule statistics) from its flow key:

(a) on a megaflow-cache hit (the flows were installed by a first pass);
(b) on a miss: the cache is flushed before every packet, so each one is upcalled and fully
    translated (classifier lookups with un-wildcarding, actions, the megaflow installed).

The baseline, measured in the same run, is a bare Python loop doing one dict lookup per
mask (the 10 masks of the rules) for each key: the least a tuple-space classifier written in
Python can do. Flow-key extraction from the frame (``vnetlab.openflow.flow.extract``) is
left out of both and timed on its own. Prints the rates and ``ratio: X``, the cache-hit rate
over the bare loop's. Goal: ratio >= 0.5.

    python bench/ovs_classifier.py [--packets 2000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import time

from vnetlab.openflow.flow import extract
from vnetlab.openflow.ofctl_parse import parse_flow
from vnetlab.sim.ovs.vswitchd import Vswitchd

MASK_TEMPLATES = (
    "in_port={p}",
    "dl_dst=02:00:00:00:{hi:02x}:{lo:02x}",
    "ip,nw_dst=10.{hi}.{lo}.1",
    "ip,nw_dst=10.{hi}.{lo}.0/24",
    "ip,nw_src=172.16.{hi}.{lo}",
    "tcp,tp_dst={n}",
    "ip,nw_src=172.17.{hi}.{lo},nw_dst=10.9.{hi}.{lo}",
    "dl_src=02:00:00:01:{hi:02x}:{lo:02x},dl_dst=02:00:00:02:{hi:02x}:{lo:02x}",
    "ip,in_port={p},nw_dst=10.8.{hi}.{lo}",
    "tcp,tp_src={n},tp_dst={n2}",
)
RULES_PER_MASK = 1000


def build() -> Vswitchd:
    vs = Vswitchd(None)
    vs.vsctl(["add-br", "br0", "--", "set", "Bridge", "br0", "datapath_type=netdev",
              "fail_mode=secure"])
    for i in range(1, 5):
        vs.vsctl(["add-port", "br0", f"p{i}"])
    br = vs.bridges["br0"]
    for prio, tmpl in enumerate(MASK_TEMPLATES):
        for n in range(RULES_PER_MASK):
            match = tmpl.format(p=n % 4 + 1, hi=n // 250, lo=n % 250, n=1000 + n, n2=2000 + n)
            fm = parse_flow(f"priority={100 + prio},{match},actions=output:{n % 3 + 2}",
                            "add", lambda _name: None)
            br.tables.flow_mod(fm, 0.0)
    vs.tables_changed()
    return vs


def tcp_frame(n: int) -> bytes:
    """A TCP SYN aimed at rule ``n // 10`` of mask ``n % 10``: the fields that mask
    matches take the rule's values, every other field a value no rule has, so the packets
    spread over all ten masks (and the megaflows over as many masks as OVS would make)."""
    k, r = n % 10, (n // 10) % RULES_PER_MASK
    hi, lo = r // 250, r % 250
    dst_mac = bytes([2, 0xFF, 0, 0, hi, lo])
    src_mac = bytes([2, 0xFE, 0, 0, hi, lo])
    src, dst = bytes([192, 168, hi, lo]), bytes([192, 169, hi, lo])
    sport, dport = 60000, 61000
    if k == 1:
        dst_mac = bytes([2, 0, 0, 0, hi, lo])
    elif k == 2:
        dst = bytes([10, hi, lo, 1])
    elif k == 3:
        dst = bytes([10, hi, lo, 7])
    elif k == 4:
        src = bytes([172, 16, hi, lo])
    elif k == 5:
        dport = 1000 + r
    elif k == 6:
        src, dst = bytes([172, 17, hi, lo]), bytes([10, 9, hi, lo])
    elif k == 7:
        src_mac, dst_mac = bytes([2, 0, 0, 1, hi, lo]), bytes([2, 0, 0, 2, hi, lo])
    elif k == 8:
        dst = bytes([10, 8, hi, lo])
    elif k == 9:
        sport, dport = 1000 + r, 2000 + r
    tcp = sport.to_bytes(2, "big") + dport.to_bytes(2, "big") + bytes(8) + b"\x50\x02" + bytes(6)
    ip = bytes([0x45, 0, 0, 40, 0, 0, 0x40, 0, 64, 6, 0, 0]) + src + dst
    return dst_mac + src_mac + b"\x08\x00" + ip + tcp


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--packets", type=int, default=2000)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    t0 = time.perf_counter()
    vs = build()
    print(f"setup: {RULES_PER_MASK * len(MASK_TEMPLATES)} rules over "
          f"{len(MASK_TEMPLATES)} masks in {time.perf_counter() - t0:.1f} s")
    br = vs.bridges["br0"]
    dpif = br.dpif
    in_port = br.xports[1].odp_port or 1
    frames = [tcp_frame(n) for n in range(args.packets)]

    t = time.perf_counter()
    keys = [extract(f, in_port) for f in frames]
    extract_pps = len(frames) / (time.perf_counter() - t)

    # the classifier's own masks, for the bare loop
    masks = sorted({tuple(sorted(r.match.masks.items())) for r in br.tables.rules()})
    tables: list[tuple[tuple[tuple[str, int], ...], dict[tuple[int, ...], object]]] = []
    for m in masks:
        d: dict[tuple[int, ...], object] = {}
        for r in br.tables.rules():
            if tuple(sorted(r.match.masks.items())) == m:
                d[tuple(r.match.values.get(f, 0) for f, _ in m)] = r
        tables.append((m, d))

    def bare() -> float:
        t = time.perf_counter()
        found = 0
        for key in keys:
            for m, d in tables:
                if d.get(tuple([key.get(f, 0) & mm for f, mm in m])) is not None:
                    found += 1
        return len(keys) / (time.perf_counter() - t)

    def miss() -> float:
        t = time.perf_counter()
        for key, frame in zip(keys, frames, strict=True):
            dpif.flush()
            dpif.receive(key, frame, 1.0)
        return len(keys) / (time.perf_counter() - t)

    def hit() -> float:
        t = time.perf_counter()
        for key, frame in zip(keys, frames, strict=True):
            dpif.receive(key, frame, 2.0)
        return len(keys) / (time.perf_counter() - t)

    miss_rates, hit_rates, bare_rates = [], [], []
    for _ in range(args.rounds):  # interleaved, so a busy machine slows all alike
        miss_rates.append(miss())
        dpif.flush()
        for key, frame in zip(keys, frames, strict=True):  # install every megaflow once
            dpif.receive(key, frame, 1.5)
        hit_rates.append(hit())
        bare_rates.append(bare())
    n_masks = len(dpif.subtables)
    hit_pps, miss_pps, bare_pps = max(hit_rates), max(miss_rates), max(bare_rates)
    print(f"megaflows: {len(dpif.flows())} in {n_masks} masks; "
          f"hits: {dpif.n_hit}, misses: {dpif.n_missed}")
    print(f"flow key extraction:            {extract_pps:12,.0f} packets/s")
    print(f"(a) megaflow hit:               {hit_pps:12,.0f} packets/s")
    print(f"(b) miss + full translation:    {miss_pps:12,.0f} packets/s")
    print(f"bare loop, 1 dict lookup/mask:  {bare_pps:12,.0f} packets/s")
    print(f"ratio: {hit_pps / bare_pps:.2f}")


if __name__ == "__main__":
    main()
