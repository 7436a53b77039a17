"""The linux engine's plan for a lab with ``ip xfrm`` entries (pure: no kernel needed)."""

from __future__ import annotations

import pytest

from tests.security.labs_run import EXAMPLES
from vnetlab.engine import UnsupportedError
from vnetlab.kernel.ops.xfrm import IpXfrm
from vnetlab.kernel.plan import plan
from vnetlab.model.load import load_lab


def test_refused_with_the_reason_when_esp_is_missing() -> None:
    lab = load_lab(EXAMPLES / "security-plaintext-vxlan-esp.yaml")
    with pytest.raises(UnsupportedError) as ei:
        plan(lab, unsupported={"xfrm-esp": "this kernel lacks esp4/xfrm ESP (because)"})
    msg = str(ei.value)
    assert "vtep1 has ip xfrm states/policies: this kernel lacks esp4/xfrm ESP (because)" in msg
    assert "vtep2 has ip xfrm" in msg


def test_ops_run_the_lab_words_with_ip_xfrm_last() -> None:
    lab = load_lab(EXAMPLES / "security-plaintext-vxlan-esp.yaml")
    ops = plan(lab, unsupported={}, ovs_datapath=("system", "test"))
    xfrm = [op for op in ops if isinstance(op, IpXfrm)]
    assert len(xfrm) == 8 and ops[-8:] == xfrm
    first = xfrm[0].shell()
    assert first.startswith("ip -n vnl-sec-vxlan-esp.vtep1 xfrm state add src 192.0.2.1 "
                            "dst 192.0.2.2 proto esp spi 0x00001001 reqid 1 mode transport "
                            "aead 'rfc4106(gcm(aes))' 0x")
    assert first.endswith(" 128 replay-window 32")
