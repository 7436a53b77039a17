"""BPDU wire format (vnetlab.wire.stp) against the bytes the issue measured on the kernel."""

from __future__ import annotations

import pytest

from vnetlab.wire.errors import ParseError
from vnetlab.wire.stp import (
    ConfigBpdu,
    bridge_id,
    bridge_id_str,
    emit_config,
    emit_tcn,
    from_ticks,
    parse_bpdu,
    to_ticks,
)

S = 1_000_000_000
SRC = bytes.fromhex("020000000113")


def _root_bpdu(**kw: object) -> ConfigBpdu:
    fields: dict[str, object] = dict(
        topology_change=False, topology_change_ack=False,
        root=bridge_id(0x8000, bytes.fromhex("020000000001")), root_path_cost=0,
        bridge_id=bridge_id(0x8000, bytes.fromhex("020000000001")), port_id=0x8002,
        message_age=0, max_age=20 * S, hello_time=2 * S, forward_delay=15 * S)
    fields.update(kw)
    return ConfigBpdu(**fields)  # type: ignore[arg-type]


def test_config_bpdu_bytes() -> None:
    f = emit_config(SRC, _root_bpdu(topology_change=True, topology_change_ack=True))
    assert f[:6] == bytes.fromhex("0180c2000000") and f[6:12] == SRC
    assert f[12:14] == b"\x00\x26"  # 802.3 length: LLC + 35 bytes
    assert f[14:17] == b"\x42\x42\x03"
    assert f[17:21] == b"\x00\x00\x00\x00"  # protocol 0, version 0, type config
    assert f[21] == 0x81  # TC | TCA
    assert f[22:30] == bytes.fromhex("8000020000000001")
    assert f[30:34] == b"\x00\x00\x00\x00"
    assert f[34:42] == bytes.fromhex("8000020000000001")
    assert f[42:44] == b"\x80\x02"
    # message age, max age, hello, forward delay in 1/256 s
    assert f[44:52] == bytes.fromhex("0000" "1400" "0200" "0f00")
    assert len(f) == 14 + 0x26


def test_tcn_bytes() -> None:
    f = emit_tcn(SRC)
    assert f[12:] == bytes.fromhex("0007" "424203" "00000080")
    assert parse_bpdu(f) == "tcn"


def test_round_trip_and_ticks() -> None:
    b = _root_bpdu(message_age=5_000_000, root_path_cost=4)
    got = parse_bpdu(emit_config(SRC, b))
    assert isinstance(got, ConfigBpdu)
    assert got.root_path_cost == 4 and got.port_id == 0x8002
    assert got.message_age == from_ticks(to_ticks(5_000_000)) == 3_906_250
    assert got.max_age == 20 * S
    assert bridge_id_str(got.root) == "8000.02:00:00:00:00:01"


@pytest.mark.parametrize("frame", [
    b"\x01\x80\xc2\x00\x00\x00" + SRC + b"\x00\x07" + b"\xaa\xaa\x03\x00\x00\x00\x80",
    b"\x01\x80\xc2\x00\x00\x00" + SRC + b"\x00\x07" + b"\x42\x42\x03\x00\x01\x00\x80",
    b"\x01\x80\xc2\x00\x00\x00" + SRC + b"\x00\x07" + b"\x42\x42\x03\x00\x00\x00\x02",
    b"\x01\x80\xc2\x00\x00\x00" + SRC + b"\x00\x10" + b"\x42\x42\x03\x00\x00\x00\x00\x00",
    b"\x01\x80\xc2\x00\x00\x00" + SRC + b"\x08\x00" + bytes(40),
    b"\x01\x80\xc2",
])
def test_what_br_stp_rcv_drops_is_a_parse_error(frame: bytes) -> None:
    with pytest.raises(ParseError):
        parse_bpdu(frame)
