"""Helpers for the addrconf/MLD tests: a capture lab in the emulator and a frame classifier
shared by the emulator and the kernel side of the timeline test."""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import IPv6Address

from vnetlab.sim.clock import Scheduler
from vnetlab.sim.devices.veth import Veth
from vnetlab.sim.stack.netns import Namespace

MAC1 = bytes.fromhex("020000000001")
MAC2 = bytes.fromhex("020000000002")


@dataclass(frozen=True)
class Ev:
    """One captured frame: time (s from link-up), kind, IPv6 source, frame bytes."""

    t: float
    kind: str  # "mld2" | "mld1" | "ns" | "na" | "rs" | "other"
    src: str
    data: bytes

    @property
    def groups(self) -> list[str]:
        """The group records of an MLDv2 report: (type, group) as text."""
        if self.kind != "mld2":
            return []
        body = self.data[14 + 40 + 8:]
        n = int.from_bytes(body[6:8], "big")
        out, off = [], 8
        for _ in range(n):
            rtype, aux = body[off], body[off + 1]
            nsrc = int.from_bytes(body[off + 2:off + 4], "big")
            out.append(f"{rtype}:{IPv6Address(body[off + 4:off + 20])}")
            off += 20 + 16 * nsrc + 4 * aux
        return out


def classify(t: float, frame: bytes) -> Ev:
    if frame[12:14] != b"\x86\xdd":
        return Ev(t, "other", "", frame)
    src = str(IPv6Address(frame[22:38]))
    nh, off = frame[20], 54
    if nh == 0:  # hop-by-hop
        nh, off = frame[54], 54 + 8 * (frame[55] + 1)
    if nh != 58:
        return Ev(t, "other", src, frame)
    kind = {143: "mld2", 131: "mld1", 132: "mld1done", 135: "ns", 136: "na",
            133: "rs", 134: "ra"}.get(frame[off], "other")
    return Ev(t, kind, src, frame)


def capture_lab(*, mac: bytes = MAC1) -> tuple[Scheduler, Namespace, Veth, list[Ev]]:
    """The timeline lab: namespace b (IPv6 on) has v0 (MAC), its peer p0 sits in a quiet
    namespace a (IPv6 off) and is up; frames p0 receives are recorded. v0 is still down."""
    sched = Scheduler()
    a = Namespace("a", sched, ipv6=False)
    b = Namespace("b", sched, ipv6=True)
    p0 = Veth(a, "p0", MAC2)
    v0 = Veth(b, "v0", mac)
    Veth.pair(p0, v0)
    p0.set_admin(True)
    evs: list[Ev] = []
    p0.add_tap(lambda now, data: evs.append(classify(now / 1e9, data)))
    return sched, b, v0, evs


__all__ = ["Ev", "MAC1", "MAC2", "capture_lab", "classify"]
