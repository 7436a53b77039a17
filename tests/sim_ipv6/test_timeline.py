"""The freshly-upped-interface timeline (issue 15): a veth with MAC 02:00:00:00:00:01 upped
in a new namespace, every frame its peer receives, on the kernel and in the emulator.

What is compared (kernel K and emulator E, each checked against the kernel's rules and
against each other):

* frame kinds and order: an MLDv2 report from ``::`` first; then the second report from
  ``::`` and the DAD neighbour solicitation, in either order (both are random draws);
  then an MLDv2 report from the link-local and a router solicitation at the same
  moment (DAD done); then the second report from the link-local; then the second RS;
* times the kernel does not randomise, within 10 ms: the first report after link-up
  (2 jiffies + the timer wheel's rounding: 8-12 ms); DAD completion one retrans_time
  after the NS (1 s; the wheel rounds a 250-jiffy timer up by up to 32 ms, and where in
  that window it lands depends on the jiffies counter when it was armed, so 10 ms + 32 ms
  between K and E); the report and the RS at completion (same instant);
* times the kernel randomises (``get_random_u32_below``; the emulator draws the same
  ranges from its per-device seeded stream, so its run is reproducible): the DAD delay
  random(1 s); each report's second copy random(1 s) + 2 jiffies after the first; the
  first RS interval 4 s x random[0.9, 1.1] (+ up to 256 ms of wheel rounding) — checked
  to lie in the kernel's range on both sides;
* bytes: the MLD reports and RSs are identical frames; the NS differs only in its
  random nonce (``enhanced_dad``, on by default) and so in its checksum.

The kernel capture is bounded at 7 s (two RSs); the later back-off (x random[1.9, 2.1])
is the non-kernel test_addrconf.py's. With ``disable_ipv6=1`` before link-up nothing is
sent on either side.
"""

from __future__ import annotations

import pytest
from v6frames import Ev, capture_lab

from vnetlab.sim.clock import S

LL = "fe80::ff:fe00:1"
TOL = 0.010  # the 10 ms
WHEEL_1S = 0.032  # granule of a 1 s timer at HZ=250 (level 1: 8 jiffies)
WHEEL_4S = 0.256  # granule of a 4 s timer (level 2: 64 jiffies)
LATENCY = 0.010  # workqueue/softirq latency seen on this loaded 2-core machine (<= 7.3 ms)


def _emulator(dur: float) -> list[Ev]:
    sched, _b, v0, evs = capture_lab()
    v0.set_admin(True)
    sched.run(until=int(dur * S))
    return evs


def skeleton(evs: list[Ev]) -> dict[str, Ev]:
    """Check the kernel's rules on one capture; name its frames."""
    kinds = [(e.kind, e.src) for e in evs]
    assert kinds[0] == ("mld2", "::"), kinds
    assert sorted(kinds[1:3]) == [("mld2", "::"), ("ns", "::")], kinds
    assert kinds[3:7] == [("mld2", LL), ("rs", LL), ("mld2", LL), ("rs", LL)], kinds
    mld0, ns = evs[0], next(e for e in evs[1:3] if e.kind == "ns")
    mld1 = next(e for e in evs[1:3] if e.kind == "mld2")
    done, rs1, mld2, rs2 = evs[3:7]
    # the rules, with their sources in net/ipv6: ranges the kernel draws from
    assert 0.008 <= mld0.t <= 0.012 + LATENCY  # mld_ifc_start_work(1): 0 + 2 jiffies
    assert 0.008 <= mld1.t - mld0.t <= 1.0 + 0.012 + LATENCY  # random(1 s) + 2 jiffies
    assert 0 <= ns.t - mld0.t <= 1.0 + LATENCY  # addrconf_dad_kick: random(1 s)
    assert 1.0 <= done.t - ns.t <= 1.0 + WHEEL_1S + LATENCY  # retrans_time
    assert 0 <= rs1.t - done.t <= 0.002  # addrconf_dad_completed: MLD then RS at once
    assert 0.008 <= mld2.t - done.t <= 1.0 + 0.012 + LATENCY  # mld_dad_start_work
    assert 3.6 <= rs2.t - rs1.t <= 4.4 + WHEEL_4S + LATENCY  # backoff_init(4 s)
    for e in (mld0, mld1):
        assert e.groups == ["4:ff02::1:ff00:1"]
    for e in (done, mld2):
        assert e.groups == ["4:ff02::1:ff00:1"]
    return {"mld0": mld0, "mld1": mld1, "ns": ns, "done": done, "rs1": rs1, "mld2": mld2,
            "rs2": rs2}


def test_emulator_timeline_follows_the_kernel_rules() -> None:
    e = skeleton(_emulator(7.0))
    assert e["mld0"].t == pytest.approx(0.012, abs=1e-4)  # up on a jiffy edge: the 3rd
    # seeded: the same run twice gives the same frames at the same times
    assert [(x.t, x.data) for x in _emulator(7.0)] == [(x.t, x.data) for x in _emulator(7.0)]


def test_emulator_is_silent_with_ipv6_disabled() -> None:
    sched, b, v0, evs = capture_lab()
    b.ipv6.sysctl_set("conf.v0.disable_ipv6", 1)
    v0.set_admin(True)
    sched.run(until=10 * S)
    assert evs == []


@pytest.mark.kernel
def test_kernel_and_emulator_timelines_agree() -> None:
    from kcapture import capture_fresh_veth

    # the kernel's works run late when the machine is busy (other tests, other users of
    # its 2 cores): a capture whose frames break the timing rules is taken again, up to
    # 3 times, and every failed attempt is reported
    misses: list[str] = []
    k: dict[str, Ev] | None = None
    for _ in range(3):
        try:
            k = skeleton(capture_fresh_veth("02:00:00:00:00:01", 7.0))
            break
        except AssertionError as exc:
            misses.append(str(exc).splitlines()[0])
    assert k is not None, f"no kernel capture kept the rules: {misses}"
    e = skeleton(_emulator(7.0))
    # not randomised: within 10 ms (DAD completion: + the wheel's phase, see the note)
    assert abs(k["mld0"].t - e["mld0"].t) <= TOL
    k_dad, e_dad = k["done"].t - k["ns"].t, e["done"].t - e["ns"].t
    assert abs(k_dad - e_dad) <= TOL + WHEEL_1S
    assert abs((k["rs1"].t - k["done"].t) - (e["rs1"].t - e["done"].t)) <= TOL
    # the same frames, byte for byte
    for name in ("mld0", "mld1", "done", "mld2", "rs1", "rs2"):
        assert k[name].data == e[name].data, name
    kns, ens = k["ns"].data, e["ns"].data
    # the DAD probe: equal but for the checksum and the random nonce (enhanced_dad)
    assert len(kns) == len(ens) == 86
    assert kns[:56] == ens[:56] and kns[58:80] == ens[58:80]
    assert kns[78:80] == b"\x0e\x01"  # ND_OPT_NONCE, 8 bytes


@pytest.mark.kernel
def test_kernel_is_silent_with_ipv6_disabled_before_link_up() -> None:
    from kcapture import capture_fresh_veth

    assert capture_fresh_veth("02:00:00:00:00:01", 2.5,
                              ("net.ipv6.conf.default.disable_ipv6=1",
                               "net.ipv6.conf.all.disable_ipv6=1")) == []


def _rs_gaps(evs: list[Ev]) -> list[float]:
    rs = [e.t for e in evs if e.kind == "rs"]
    return [y - x for x, y in zip(rs, rs[1:], strict=False)]


def _backoff_ok(gaps: list[float]) -> bool:
    """RS intervals with router_solicitation_interval=1: 1 s x random[0.9, 1.1], then
    x random[1.9, 2.1], each up to one wheel granule (32 ms) + latency late."""
    slack = WHEEL_1S + LATENCY
    return (len(gaps) >= 2 and 0.9 <= gaps[0] <= 1.1 + slack
            and 1.9 * (gaps[0] - slack) <= gaps[1] <= 2.1 * gaps[0] + slack)


@pytest.mark.kernel
def test_kernel_and_emulator_back_off_alike() -> None:
    """The RFC 7559 back-off, compressed: router_solicitation_interval=1 on both."""
    from kcapture import capture_fresh_veth

    sched, b, v0, evs = capture_lab()
    b.ipv6.dev_conf(v0).rtr_solicitation_interval = 1
    v0.set_admin(True)
    sched.run(until=int(6.5 * S))
    assert _backoff_ok(_rs_gaps(evs)), _rs_gaps(evs)
    tries = []
    for _ in range(3):
        gaps = _rs_gaps(capture_fresh_veth(
            "02:00:00:00:00:01", 6.5, ("net.ipv6.conf.default.router_solicitation_interval=1",)))
        tries.append(gaps)
        if _backoff_ok(gaps):
            break
    assert _backoff_ok(tries[-1]), tries
