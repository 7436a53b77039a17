"""``ip xfrm state/policy add`` words in a lab: parsed, and refused with iproute2's words."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Network

import pytest
from pydantic import ValidationError

from vnetlab.model.spec import LabSpec
from vnetlab.model.xfrm import XfrmError, XfrmPolicy, XfrmState, parse_xfrm, split_xfrm

KEY = "0x" + "11" * 20
STATE = (f"state add src 192.0.2.1 dst 192.0.2.2 proto esp spi 0x100 reqid 1 mode transport "
         f"aead 'rfc4106(gcm(aes))' {KEY} 128 replay-window 32")
POLICY = ("policy add src 192.0.2.1/32 dst 192.0.2.2/32 dir out "
          "tmpl src 192.0.2.1 dst 192.0.2.2 proto esp reqid 1 mode transport")


def test_state_and_policy() -> None:
    s = parse_xfrm(split_xfrm(STATE))
    assert isinstance(s, XfrmState)
    assert (s.src, s.dst, s.proto, s.spi, s.reqid, s.mode, s.icv_bits, s.replay_window) == (
        IPv4Address("192.0.2.1"), IPv4Address("192.0.2.2"), 50, 0x100, 1, "transport", 128, 32)
    assert s.key == bytes([0x11]) * 20
    p = parse_xfrm(split_xfrm(POLICY))
    assert isinstance(p, XfrmPolicy) and p.dir == "out" and p.tmpl is not None
    assert p.src == IPv4Network("192.0.2.1/32") and p.tmpl.reqid == 1
    assert p.selects(0xC0000201, 0xC0000202, 17)
    assert not p.selects(0xC0000201, 0xC0000203, 17)


@pytest.mark.parametrize("words, message", [
    ("state add src 192.0.2.1 dst 192.0.2.2 proto ah spi 1", 'argument "ah" is wrong'),
    ("state add src 192.0.2.1 dst 192.0.2.2 proto esp spi 1 mode tunnel", "mode tunnel: not"),
    ("state add src 192.0.2.1 dst 192.0.2.2 proto esp spi zz", 'argument "zz" is wrong'),
    ("state add src 192.0.2.1 proto esp spi 1", "Not enough information"),
    (f"state add src 192.0.2.1 dst 192.0.2.2 proto esp spi 1 aead 'gcm(aes)' {KEY} 128",
     'argument "gcm(aes)"'),
    ("state add src 192.0.2.1 dst 192.0.2.2 proto esp spi 1 aead 'rfc4106(gcm(aes))' "
     "0x1122 128", "ALGO-KEYMAT"),
    ("policy add src 192.0.2.1/32 dst 192.0.2.2/32 dir sideways", 'argument "sideways"'),
    ("policy add src 192.0.2.1/32 dst 192.0.2.2/32", "DIR is required"),
    ("sa add", "Not enough information: ID is required"),
    ("states add", "Usage: ip xfrm XFRM-OBJECT"),
    ("state add src 192.0.2.1 dst 192.0.2.2 proto esp spi 1 mode bogus", "MODE value is"),
    ("state add src 192.0.2.1 dst 192.0.2.2 proto esp spi 1", 'ALGO-TYPE value "enc" or'),
    ("state", "Command line is not complete"),
])
def test_refusals(words: str, message: str) -> None:
    with pytest.raises(XfrmError) as ei:
        parse_xfrm(split_xfrm(words))
    assert message in ei.value.message


def test_a_lab_refuses_a_bad_entry() -> None:
    raw = {"name": "x", "nodes": {"a": {"xfrm": ["state add src 1.2.3.4"]}}}
    with pytest.raises(ValidationError, match="ip xfrm state add src 1.2.3.4"):
        LabSpec.model_validate(raw)
    ok = {"name": "x", "nodes": {"a": {"xfrm": [STATE, POLICY]}}}
    assert LabSpec.model_validate(ok).nodes["a"].xfrm == [STATE, POLICY]


def test_random_words_end_in_xfrm_errors() -> None:
    import random

    vocab = ["state", "policy", "add", "update", "src", "dst", "proto", "esp", "spi", "reqid",
             "mode", "transport", "tunnel", "aead", "rfc4106(gcm(aes))", KEY, "128", "0x",
             "-1", "dir", "in", "out", "tmpl", "10.0.0.1", "10.0.0.0/33", "replay-window",
             "99", "priority", "action", "block", "udp", "", "sa", "pol"]
    rnd = random.Random(13)
    for _ in range(3000):
        words = [rnd.choice(vocab) for _ in range(rnd.randint(0, 14))]
        try:
            parse_xfrm(words)
        except XfrmError as e:
            assert e.message and e.status in (1, 2, 255)
