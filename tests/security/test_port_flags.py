"""Bridge port flags isolated and locked in the emulator (br_skb_isolated,
br_handle_frame_finish's BR_PORT_LOCKED check)."""

from __future__ import annotations

from ipaddress import IPv4Address

import pytest

from tests.security.labs import PORT_FLAG_PINGS, port_flags
from vnetlab.sim.engine import SimEngine

#: isolated a cannot reach isolated b, reaches plain c and the bridge; locked d (static
#: entry) gets in, locked e (no entry) does not — not even to the bridge itself
WANT = [0, 1, 1, 1, 1, 0, 1, 0]


def test_isolated_and_locked_ports() -> None:
    e = SimEngine()
    e.realize(port_flags("flags-sim"))
    got = [e.ping(s, IPv4Address(d)).received for s, d in PORT_FLAG_PINGS]
    assert got == WANT


def test_locked_port_drop_is_traced() -> None:
    e = SimEngine()
    e.realize(port_flags("flags-trace"))
    t = e.trace("e", IPv4Address("10.0.0.4"))
    assert "port ve is locked and 02:00:00:00:00:0e has no FDB entry on it" in t.verdict()


def test_filtering_on_a_vlan_filtering_bridge_is_refused() -> None:
    from tests.security.labs import filtered_bridge_raw
    from vnetlab.engine import UnsupportedError
    from vnetlab.model.resolver import resolve
    from vnetlab.model.spec import LabSpec

    raw = filtered_bridge_raw("ebt-vlan", rules=["-A FORWARD -p ARP -j DROP"])
    raw["nodes"]["host"]["interfaces"]["br0"]["vlan_filtering"] = True
    e = SimEngine()
    with pytest.raises(UnsupportedError, match="VLAN-filtering bridge br0"):
        e.realize(resolve(LabSpec.model_validate(raw)))


def test_linux_engine_names_a_missing_ebtables_before_building() -> None:
    from tests.security.labs import filtered_bridge
    from vnetlab.engine import EngineError
    from vnetlab.kernel.hostprogs import check_programs

    with pytest.raises(EngineError, match="program 'ebtables' not found.*ebtables rules"):
        check_programs(filtered_bridge("ebt-miss"), which=lambda p: None if p == "ebtables"
                       else "/usr/bin/" + p)
