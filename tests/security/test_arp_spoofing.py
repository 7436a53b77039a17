"""The ARP-spoofing labs on the emulator: the attack succeeds, the seed's mitigation stops
it, and the counters prove both (the attacker's and the DROP rule's)."""

from __future__ import annotations

from tests.security.labs_run import EXAMPLES, drop_count, run_example
from vnetlab.sim.engine import SimEngine


def test_attack_poisons_the_victim_and_intercepts_its_traffic() -> None:
    out = run_example(SimEngine(), "security-arp-spoofing")
    assert not out.failed, out.failed
    assert out.attacker["forged_replies"] > 0
    assert out.attacker["intercepted_icmp"] > 0


def test_mitigation_drops_every_forged_reply_and_counts_them() -> None:
    out = run_example(SimEngine(), "security-arp-spoofing-mitigated", listing="sim")
    assert not out.failed, out.failed
    assert out.attacker["intercepted_icmp"] == 0
    # every forged reply (broadcast or aimed) crossed FORWARD and met the DROP rule; a
    # broadcast one is judged once per egress port (vic, gwp), an aimed one once
    sent = out.attacker["forged_replies"]
    assert drop_count(out.listing) >= sent > 0


def test_ovs_arp_inspection_stops_it() -> None:
    out = run_example(SimEngine(), "security-arp-spoofing-ovs")
    assert not out.failed, out.failed
    assert out.attacker["forged_replies"] > 0 and out.attacker["intercepted_icmp"] == 0


def test_ovs_without_the_inspection_flows_is_poisoned() -> None:
    """The same OVS lab with only the NORMAL flow: the attack gets through again."""
    from vnetlab.model.load import load_lab
    from vnetlab.tools.checks import run_checks

    lab = load_lab(EXAMPLES / "security-arp-spoofing-ovs.yaml")
    raw = lab.model_dump(mode="json", exclude_none=True)
    raw["nodes"]["host"]["ovs"]["br0"]["flows"] = ["priority=0,actions=NORMAL"]
    lab2 = type(lab).model_validate(raw)
    e = SimEngine()
    e.realize(lab2)
    run_checks(e, lab2)
    assert e.programs["host:atk0"].counters["intercepted_icmp"] > 0
