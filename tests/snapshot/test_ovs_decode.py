"""Open vSwitch decoders on real ovs-vsctl/ovs-ofctl 3.1 output (tests/snapshot/data):
``ovs-vsctl show`` alone gives the same bridges, ports, types, options, tags and trunks
as the JSON tables (it has no ofport, vlan_mode, mirrors or other_config)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from vnetlab.snapshot.dumps import _read_ovs
from vnetlab.snapshot.ovs import decode_ovs, decode_show
from vnetlab.snapshot.state import OvsBridge

DATA = Path(__file__).resolve().parent / "data"
DIRS = sorted([*(DATA / "ovs-show").iterdir(),
               *(p / "ovs" for p in (DATA / "ovs-pipeline").iterdir()
                 if (p / "ovs").is_dir())])


def _view(bridges: list[OvsBridge]) -> list[Any]:
    return [(b.name, b.fail_mode, b.datapath_type,
             {p.name: (p.type, p.options, p.tag, sorted(p.trunks)) for p in b.ports.values()})
            for b in bridges]


@pytest.mark.parametrize("d", DIRS, ids=[p.name if p.name != "ovs" else p.parent.name
                                         for p in DIRS])
def test_show_text_and_json_tables_agree(d: Path) -> None:
    dump = _read_ovs(d)
    assert dump is not None and dump.show and dump.tables
    from_tables = decode_ovs(dump, str(d))
    assert _view(decode_show(dump.show)) == _view(from_tables)
    assert from_tables and all(b.ports for b in from_tables)


def test_what_the_recordings_hold() -> None:
    [vx] = decode_show((DATA / "ovs-show" / "ovs-vxlan.host1" / "show.txt").read_text())
    assert vx.ports["vxlan0"].type == "vxlan"
    assert vx.ports["vxlan0"].options == {"key": "100", "remote_ip": "10.0.0.2"}
    [sw] = decode_show((DATA / "ovs-show" / "ovs-vlan.sw1" / "show.txt").read_text())
    assert (sw.ports["pn"].tag, sw.ports["pn"].trunks) == (10, [10, 20])
    dump = _read_ovs(DATA / "ovs-show" / "ovs-vlan.sw1")
    assert dump is not None
    [t] = decode_ovs(dump, "sw1")
    assert t.ports["pn"].vlan_mode == "native-untagged"  # only the tables say it


def test_only_show_saved_still_gives_the_bridges(tmp_path: Path) -> None:
    src = DATA / "ovs-show" / "ovs-vxlan.host1"
    (tmp_path / "show.txt").write_text((src / "show.txt").read_text())
    (tmp_path / "flows-ovs-br0.txt").write_text((src / "flows-ovs-br0.txt").read_text())
    dump = _read_ovs(tmp_path)
    assert dump is not None and not dump.tables
    [b] = decode_ovs(dump, "x")
    assert b.ports["vxlan0"].options["remote_ip"] == "10.0.0.2"
    # ovs-ofctl quotes names with a dash; the standalone default flow is left out
    assert b.flows == ['table=0,in_port="tap-vm1",actions=output:vxlan0',
                       'table=0,in_port=vxlan0,actions=output:"tap-vm1"']
