"""A valid lab resolves: every veth end listed, deterministic unique MACs, helpers work."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

from vnetlab.model import (
    DEVICE_KINDS,
    SPEC_BY_KIND,
    BridgeSpec,
    Endpoint,
    LabError,
    LabSpec,
    VethSpec,
    endpoint_peer,
    iface_mac,
    load_lab,
    load_lab_text,
    mac_of_ref,
    resolve,
)

EXAMPLE = Path(__file__).with_name("container_host.yaml")
MAC = re.compile(r"^[0-9a-f]{2}(:[0-9a-f]{2}){5}$")


def all_macs(lab: LabSpec) -> dict[str, str]:
    return {
        f"{n}:{i}": spec.mac
        for n, node in lab.nodes.items()
        for i, spec in node.interfaces.items()
        if spec.mac is not None
    }


def test_example_resolves():
    lab = load_lab(EXAMPLE)
    assert lab.name == "container-host"
    host = lab.nodes["host"]
    assert isinstance(host.interfaces["br0"], BridgeSpec)
    assert host.interfaces["veth0a"].master == "br0"
    assert host.ip_forward
    # link ends not listed under a node are added as veth ends
    assert isinstance(lab.nodes["a"].interfaces["eth0"], VethSpec)
    assert lab.checks[0].src == "a"


def test_macs_are_deterministic_unique_local_unicast():
    lab1, lab2 = load_lab(EXAMPLE), load_lab(EXAMPLE)
    macs = all_macs(lab1)
    n_ifaces = sum(len(node.interfaces) for node in lab1.nodes.values())
    assert len(macs) == n_ifaces  # every interface has one
    assert macs == all_macs(lab2)
    assert len(set(macs.values())) == len(macs)
    for mac in macs.values():
        assert MAC.match(mac)
        first = int(mac[:2], 16)
        assert first & 0x02 and not first & 0x01  # locally administered, unicast
    digest = hashlib.sha256(b"container-host/a/eth0").digest()
    assert macs["a:eth0"] == "02:" + ":".join(f"{b:02x}" for b in digest[:5])


def test_macs_do_not_depend_on_yaml_order_and_differ_per_lab():
    text = EXAMPLE.read_text()
    lab = load_lab_text(text)
    renamed = load_lab_text(text.replace("name: container-host", "name: other-lab"))
    assert all_macs(lab)["a:eth0"] != all_macs(renamed)["a:eth0"]


def test_given_mac_is_kept_and_generated_ones_avoid_it():
    lab = load_lab(EXAMPLE)
    taken = all_macs(lab)["b:eth0"]
    text = EXAMPLE.read_text().replace(
        "eth0: {addresses: [192.168.1.2/24]}",
        f'eth0: {{addresses: [192.168.1.2/24], mac: "{taken.upper()}"}}',
    )
    lab2 = load_lab_text(text)
    macs = all_macs(lab2)
    assert macs["a:eth0"] == taken  # given (normalised to lower case)
    assert macs["b:eth0"] != taken  # generated one moved to the next hash round
    assert len(set(macs.values())) == len(macs)


def test_resolve_is_idempotent_and_returns_frozen_specs():
    lab = load_lab(EXAMPLE)
    assert resolve(lab) == lab
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="Instance is frozen") as err:
        lab.name = "x"  # type: ignore[misc]
    assert err.value.errors()[0]["type"] == "frozen_instance"
    assert lab.name != "x"
    node = next(iter(lab.nodes.values()))
    with pytest.raises(ValidationError, match="Instance is frozen"):
        node.interfaces = {}  # type: ignore[misc]  # nested specs are frozen too


def test_helpers():
    lab = load_lab(EXAMPLE)
    assert endpoint_peer(lab, "a", "eth0") == Endpoint(node="host", ifname="veth0a")
    assert endpoint_peer(lab, "host", "veth0b") == Endpoint(node="b", ifname="eth0")
    assert endpoint_peer(lab, "host", "br0") is None
    assert iface_mac(lab, "a:eth0") == lab.nodes["a"].interfaces["eth0"].mac
    assert mac_of_ref(lab, "a:eth0") == iface_mac(lab, "a:eth0")
    assert mac_of_ref(lab, "02:AA:00:00:00:01") == "02:aa:00:00:00:01"
    assert mac_of_ref(lab, "broadcast") == "ff:ff:ff:ff:ff:ff"
    with pytest.raises(ValueError):
        mac_of_ref(lab, "nonsense")
    with pytest.raises(KeyError):
        iface_mac(lab, "zz:eth0")


def test_helpers_on_unresolved_lab_give_the_resolved_mac():
    raw = LabSpec.model_validate(
        {"name": "t", "nodes": {"a": {}, "b": {}}, "links": [{"endpoints": ["a:e0", "b:e0"]}]}
    )
    assert iface_mac(raw, "a:e0") == iface_mac(resolve(raw), "a:e0")


def test_python_api_errors_have_paths_but_no_lines():
    raw = LabSpec.model_validate({"name": "t", "nodes": {"a": {"interfaces": {"e0": {}}}}})
    with pytest.raises(LabError) as info:
        resolve(raw)
    (p,) = info.value.problems
    assert p.path == "nodes.a.interfaces.e0" and p.line is None
    assert str(info.value).startswith("<lab>: nodes.a.interfaces.e0: interface e0")


def test_addresses_and_routes_accept_the_usual_spellings():
    lab = load_lab_text(
        """
name: t
nodes:
  r:
    sysctls: {net.ipv4.ip_forward: 1}
    interfaces:
      e0: {addresses: 10.0.0.1/24}
      e1: {addresses: [10.0.1.1/24, 10.0.2.1/24]}
  a:
    interfaces: {e0: {addresses: [10.0.0.2/24]}}
    routes:
      - {via: 10.0.0.1}
      - {dst: 10.0.2.0/24, via: 10.0.0.1, dev: e0, metric: 10}
      - {dst: 10.0.3.0/24, dev: e0}
links:
  - endpoints: [r:e0, a:e0]
  - endpoints: [r:e1, a:e1]
"""
    )
    assert str(lab.nodes["r"].interfaces["e0"].addresses[0]) == "10.0.0.1/24"
    assert [str(r.network) for r in lab.nodes["a"].routes] == [
        "0.0.0.0/0",
        "10.0.2.0/24",
        "10.0.3.0/24",
    ]


def test_every_device_kind_has_a_spec():
    assert set(DEVICE_KINDS) == set(SPEC_BY_KIND)
    for kind, cls in SPEC_BY_KIND.items():
        assert cls.model_fields["type"].annotation.__args__ == (kind,)
