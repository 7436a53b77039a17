"""Ownership of a PF's VFs and putting its original ``sriov_numvfs`` back: on teardown
(the plan's cleanups), from ``vnetlab gc`` after a crash, never over someone's change."""

from __future__ import annotations

import os
import struct
from pathlib import Path
from typing import Any

import pytest
from pyroute2.netlink.rtnl.ifinfmsg import ifinfmsg

from tests.kernel.sriov.fake_sysfs import FakeIov, fake_host
from vnetlab.engine import EngineError
from vnetlab.kernel import gc, runtime
from vnetlab.kernel import rtnl as M
from vnetlab.kernel.kinds import sriov_host
from vnetlab.kernel.kinds.sriov_ops import SetVf, WriteNumvfs
from vnetlab.kernel.ops.base import Realized

ALIAS = "vnetlab:sr:r1"


@pytest.fixture
def iov(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[sriov_host.Host, FakeIov]:
    h = fake_host(tmp_path, {"enp3s0f0": (8, 2)}, {"PCI_IOV": "y"})
    monkeypatch.setenv(sriov_host.ENV_SYSFS_ROOT, str(h.sys))
    monkeypatch.setenv(sriov_host.ENV_PROCFS_ROOT, str(h.proc))
    monkeypatch.setenv(runtime.ENV_RUN_DIR, str(tmp_path / "run"))
    fake = FakeIov()
    monkeypatch.setattr(sriov_host, "write_numvfs", fake)
    return h, fake


def test_the_fake_is_the_kernel(iov: tuple[sriov_host.Host, FakeIov]) -> None:
    h, fake = iov
    with pytest.raises(OSError) as e:
        fake(h, "enp3s0f0", 9)
    assert os.strerror(e.value.errno) == "Numerical result out of range"
    with pytest.raises(OSError) as e:
        fake(h, "enp3s0f0", 4)
    assert os.strerror(e.value.errno) == "Device or resource busy"


def test_applied_writes_claim_the_pf_and_teardown_restores_it(
        iov: tuple[sriov_host.Host, FakeIov]) -> None:
    h, fake = iov
    ops = [WriteNumvfs("", pf="enp3s0f0", numvfs=0, original=2, target=4, alias=ALIAS,
                       claim=True),
           WriteNumvfs("", pf="enp3s0f0", numvfs=4, original=2, target=4, alias=ALIAS)]
    r = Realized()
    for op in ops:
        op.apply(r)
    assert h.numvfs("enp3s0f0") == 4 and h.vf_netdevs("enp3s0f0", 3) == ["enp3s0f0v3"]
    [claim] = sriov_host.claims()
    assert (claim.pf, claim.original, claim.numvfs, claim.alias) == ("enp3s0f0", 2, 4, ALIAS)
    r.run_cleanups()  # what apply.destroy does first
    assert h.numvfs("enp3s0f0") == 2
    assert fake.writes == [("enp3s0f0", 0), ("enp3s0f0", 4), ("enp3s0f0", 0), ("enp3s0f0", 2)]
    assert sriov_host.claims() == []


def test_a_pf_held_by_another_lab_is_refused(iov: tuple[sriov_host.Host, FakeIov]) -> None:
    sriov_host.take(sriov_host.PfClaim("enp3s0f0", 0, 4, "vnetlab:other:r9"))
    op = WriteNumvfs("", pf="enp3s0f0", numvfs=4, alias=ALIAS, target=4, claim=True)
    with pytest.raises(EngineError, match="enp3s0f0's VFs belong to vnetlab:other:r9"):
        op.apply(Realized())


def test_the_kernels_refusal_is_the_echo_error(iov: tuple[sriov_host.Host, FakeIov]) -> None:
    op = WriteNumvfs("", pf="enp3s0f0", numvfs=4, original=2, target=4, alias=ALIAS,
                     claim=True)  # 2 -> 4 without going through 0
    with pytest.raises(EngineError) as e:
        op.apply(Realized())
    assert str(e.value).startswith("`echo 4 > /sys/class/net/enp3s0f0/device/sriov_numvfs` failed: "
                            "echo: write error: Device or resource busy")


def test_restore_leaves_a_pf_someone_changed_alone(
        iov: tuple[sriov_host.Host, FakeIov]) -> None:
    h, fake = iov  # the lab set 4, but the PF has 2 now: not the lab's any more
    c = sriov_host.PfClaim("enp3s0f0", original=0, numvfs=4, alias=ALIAS)
    sriov_host.take(c)
    assert "left alone, sriov_numvfs is 2, not the 4 the lab set" in sriov_host.restore(h, c)
    assert fake.writes == [] and h.numvfs("enp3s0f0") == 2 and sriov_host.claims() == []


def test_restore_to_zero_is_one_write(iov: tuple[sriov_host.Host, FakeIov]) -> None:
    h, fake = iov
    c = sriov_host.PfClaim("enp3s0f0", original=0, numvfs=2, alias=ALIAS)
    assert sriov_host.restore(h, c) == "enp3s0f0: sriov_numvfs 2 -> 0"
    assert fake.writes == [("enp3s0f0", 0)]


def test_gc_restores_the_pfs_of_a_dead_lab(iov: tuple[sriov_host.Host, FakeIov],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    h, fake = iov
    monkeypatch.setattr(gc, "_dead_probes", list)  # the host's namespaces: not this test's
    rec = runtime.LabRecord(lab="sr", prefix="vnl-", run_id="r1",
                            namespaces={"host": "vnl-sr.host"}, pid=2**22 + 7, pid_start=1,
                            status="up", persistent=False)
    runtime.claim(rec)  # a lab whose process died with 2 -> 4 VFs on the PF
    sriov_host.take(sriov_host.PfClaim("enp3s0f0", original=0, numvfs=2, alias=ALIAS))
    live = runtime.LabRecord(lab="live", prefix="vnl-", run_id="r2", namespaces={},
                             pid=os.getpid(), pid_start=runtime.proc_start_time(os.getpid()))
    runtime.claim(live)
    sriov_host.take(sriov_host.PfClaim("enp9s0", original=0, numvfs=2,
                                       alias="vnetlab:live:r2"))
    gc.gc()
    assert h.numvfs("enp3s0f0") == 0 and fake.writes == [("enp3s0f0", 0)]
    assert [c.pf for c in sriov_host.claims()] == ["enp9s0"]  # the live lab keeps its own


def _decode(body: bytes) -> Any:
    m = ifinfmsg(struct.pack("IHHII", 16 + len(body), M.RTM_NEWLINK, 5, 1, 0) + body)
    m.decode()
    return m


def test_set_vf_sends_what_it_prints() -> None:
    op = SetVf("", pf="enp3s0f0", vf=1, mac="00:11:22:33:44:55", vlan=5, qos=1,
               proto="802.1ad", spoofchk=False, trust=True, state="disable",
               max_tx_rate=1000, min_tx_rate=100, query_rss=True)
    assert op.shell() == ("ip link set enp3s0f0 vf 1 mac 00:11:22:33:44:55 vlan 5 qos 1 proto "
                          "802.1ad spoofchk off trust on state disable max_tx_rate 1000 "
                          "min_tx_rate 100 query_rss on")
    m = _decode(op.body(7))
    assert m["index"] == 7
    [info] = m.get_attr("IFLA_VFINFO_LIST").get_attrs("IFLA_VF_INFO")
    assert info.get_attr("IFLA_VF_MAC")["mac"] == "00:11:22:33:44:55"
    [ivvi] = info.get_attr("IFLA_VF_VLAN_LIST").get_attrs("IFLA_VF_VLAN_INFO")
    assert (ivvi["vf"], ivvi["vlan"], ivvi["qos"], ivvi["proto"]) == (1, 5, 1, 0x88A8)
    assert info.get_attr("IFLA_VF_SPOOFCHK")["spoofchk"] == 0
    assert info.get_attr("IFLA_VF_TRUST")["trust"] == 1
    assert info.get_attr("IFLA_VF_LINK_STATE")["link_state"] == 2
    assert info.get_attr("IFLA_VF_RSS_QUERY_EN")["rss_query_en"] == 1
    rate = info.get_attr("IFLA_VF_RATE")
    assert (rate["vf"], rate["min_tx_rate"], rate["max_tx_rate"]) == (1, 100, 1000)
    # the kernel's nla_policy wants the padded struct ifla_vf_vlan_info: 16 bytes
    assert b"\x14\x00\x01\x00\x01\x00\x00\x00\x05\x00" in op.body(7)


def test_an_8021q_vlan_is_the_legacy_attribute_as_iproute2_sends_it() -> None:
    m = _decode(SetVf("", pf="p", vf=0, vlan=100).body(3))
    [info] = m.get_attr("IFLA_VFINFO_LIST").get_attrs("IFLA_VF_INFO")
    v = info.get_attr("IFLA_VF_VLAN")
    assert (v["vf"], v["vlan"], v["qos"]) == (0, 100, 0)
    assert info.get_attr("IFLA_VF_VLAN_LIST") is None


@pytest.mark.kernel  # `vnetlab gc` needs root
def test_gc_dry_run_names_the_pfs_it_would_restore(
        iov: tuple[sriov_host.Host, FakeIov]) -> None:
    from click.testing import CliRunner

    from vnetlab.cli.main import cli

    h, fake = iov
    rec = runtime.LabRecord(lab="sr", prefix="vnl-", run_id="r1",
                            namespaces={"host": "vnl-sr.host"}, pid=2**22 + 7, pid_start=1,
                            status="building")
    runtime.claim(rec)
    sriov_host.take(sriov_host.PfClaim("enp3s0f0", original=0, numvfs=2, alias=ALIAS))
    result = CliRunner().invoke(cli, ["gc", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "would restore enp3s0f0's sriov_numvfs 2 -> 0 (lab sr)" in result.stdout
    assert fake.writes == [] and h.numvfs("enp3s0f0") == 2  # a dry run changes nothing
