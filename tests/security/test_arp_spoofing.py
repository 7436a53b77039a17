"""The ARP-spoofing labs on the emulator: the attack succeeds, the seed's mitigation stops
it, and the counters prove both (the attacker's and the DROP rule's)."""

from __future__ import annotations

from tests.security.labs_run import drop_count, run_example
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
