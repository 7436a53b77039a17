"""The linux engine's SR-IOV plan against a fake sysfs tree: the refusal where the host
has no SR-IOV (this machine: a virtio NIC, CONFIG_PCI_IOV and CONFIG_NETDEVSIM not set),
and for a capable PF the op sequence, each printed as the real command."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.kernel.sriov.fake_sysfs import fake_host
from vnetlab.engine import UnsupportedError
from vnetlab.kernel.kinds import sriov_host
from vnetlab.kernel.kinds.sriov_ops import MoveVf, SetVf, WriteNumvfs
from vnetlab.kernel.ops.link import SetAlias
from vnetlab.kernel.plan import plan
from vnetlab.model import load_lab_text

LAB = """
name: sr
nodes:
  host:
    interfaces:
      eth0:
        type: nic
        device: DEVICE
        sriov:
          totalvfs: 8
          numvfs: NUMVFS
          vfs:
            0: {mac: "00:11:22:33:44:55", vlan: 100}
            1: {vlan: 5, qos: 1, proto: 802.1ad, spoofchk: false, trust: true,
                state: enable, max_tx_rate: 1000, min_tx_rate: 100, query_rss: true}
  ns1:
    interfaces:
      eth0v0: {type: vf, link: "host:eth0", vf: 0, addresses: [10.0.0.1/24]}
  ns2:
    interfaces:
      vf1: {type: vf, link: "host:eth0", vf: 1, addresses: [10.0.0.2/24]}
"""

NO_SRIOV_HERE = {"PCI_IOV": "n", "NETDEVSIM": "n"}


def lab(device: str = "enp3s0f0", numvfs: int = 4, text: str = LAB):  # type: ignore[no-untyped-def]
    return load_lab_text(text.replace("DEVICE", device).replace("NUMVFS", str(numvfs)))


@pytest.fixture
def host_like_this_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> sriov_host.Host:
    h = fake_host(tmp_path, {"eth0": None, "ifb0": None}, NO_SRIOV_HERE)
    monkeypatch.setenv(sriov_host.ENV_SYSFS_ROOT, str(h.sys))
    monkeypatch.setenv(sriov_host.ENV_PROCFS_ROOT, str(h.proc))
    return h


def capable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, numvfs: int = 0,
            total: int = 8) -> sriov_host.Host:
    h = fake_host(tmp_path, {"eno1": None, "enp3s0f0": (total, numvfs)}, {"PCI_IOV": "y"})
    monkeypatch.setenv(sriov_host.ENV_SYSFS_ROOT, str(h.sys))
    monkeypatch.setenv(sriov_host.ENV_PROCFS_ROOT, str(h.proc))
    monkeypatch.setenv("VNETLAB_RUN_DIR", str(tmp_path / "run"))
    return h


def refusal(spec_lab) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(UnsupportedError) as e:
        plan(spec_lab, unsupported={})
    return str(e.value)


def test_a_host_without_sriov_is_refused_naming_what_is_missing(
        host_like_this_one: sriov_host.Host) -> None:
    msg = refusal(lab(device="eth0"))
    assert ("host:eth0 is a nic with device eth0: eth0 has no SR-IOV (no "
            "/sys/class/net/eth0/device/sriov_totalvfs); this host has no SR-IOV capable NIC "
            "(no /sys/class/net/*/device/sriov_totalvfs), no PCI IOV (the kernel has "
            "CONFIG_PCI_IOV not set) and no netdevsim (CONFIG_NETDEVSIM not set)") in msg
    assert "run it in the emulator" in msg or "emulator" in msg


def test_a_device_not_on_the_host_is_named(host_like_this_one: sriov_host.Host) -> None:
    msg = refusal(lab(device="enp3s0f0"))
    assert "with device enp3s0f0: no such network device on this host " \
           "(/sys/class/net/enp3s0f0); this host has no SR-IOV capable NIC" in msg


def test_a_nic_without_device_says_what_to_give(host_like_this_one: sriov_host.Host) -> None:
    text = LAB.replace("        device: DEVICE\n", "")
    msg = refusal(lab(text=text))
    assert "host:eth0 is a nic without 'device': on the linux engine a nic names the host's " \
           "SR-IOV physical function (device: enp3s0f0)" in msg


def test_netdevsim_loaded_but_without_vfs_is_named(tmp_path: Path) -> None:
    h = fake_host(tmp_path, {"eth0": None}, {"PCI_IOV": "n", "NETDEVSIM": "m"})
    assert h.missing().endswith("and netdevsim not loaded (modprobe netdevsim)")
    (h.sys / "bus" / "netdevsim").mkdir(parents=True)
    assert "netdevsim is loaded but has no device with VFs" in h.missing()


def test_more_vfs_than_the_device_offers_is_erange(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    capable(tmp_path, monkeypatch, total=2)
    msg = refusal(lab(numvfs=4))
    assert "the lab asks for 4 VFs, enp3s0f0 offers 2 (sriov_totalvfs): echo 4 > " \
           "/sys/class/net/enp3s0f0/device/sriov_numvfs fails with ERANGE" in msg


def test_this_machine_is_detected_as_it_is() -> None:
    """The real /sys and /proc: whatever this host has is what the refusal says."""
    host = sriov_host.Host()
    if host.capable():
        pytest.skip(f"this host has SR-IOV: {host.missing()}")
    assert host.missing().startswith("this host has no SR-IOV capable NIC")


def shell_lines(ops: list) -> list[str]:  # type: ignore[type-arg]
    return [op.shell() for op in ops]


def test_the_plan_for_a_capable_pf_prints_the_real_commands(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    capable(tmp_path, monkeypatch)
    ops = plan(lab(), unsupported={}, run_id="r1")
    sriov = [op for op in ops if isinstance(op, WriteNumvfs | SetVf | MoveVf)]
    assert shell_lines(sriov) == [
        "echo 4 > /sys/class/net/enp3s0f0/device/sriov_numvfs",
        "ip link set enp3s0f0 vf 0 mac 00:11:22:33:44:55 vlan 100",
        "ip link set enp3s0f0 vf 1 vlan 5 qos 1 proto 802.1ad spoofchk off trust on state "
        "enable max_tx_rate 1000 min_tx_rate 100 query_rss on",
        "ip link set $(ls /sys/class/net/enp3s0f0/device/virtfn2/net) netns vnl-sr.host name "
        "eth0v2",
        "ip link set $(ls /sys/class/net/enp3s0f0/device/virtfn3/net) netns vnl-sr.host name "
        "eth0v3",
        "ip link set $(ls /sys/class/net/enp3s0f0/device/virtfn0/net) netns vnl-sr.ns1 name "
        "eth0v0",
        "ip link set $(ls /sys/class/net/enp3s0f0/device/virtfn1/net) netns vnl-sr.ns2 name "
        "vf1",
    ]
    first = sriov[0]
    assert isinstance(first, WriteNumvfs) and first.claim and first.original == 0
    # the PF stays in the host: never tagged, addressed or brought up in the lab
    lines = shell_lines(ops)
    assert not any("link set eth0 " in line or "dev eth0 " in line for line in lines)
    # each VF is tagged, addressed and up in its namespace, after it moved there
    i = lines.index("ip link set $(ls /sys/class/net/enp3s0f0/device/virtfn0/net) netns "
                    "vnl-sr.ns1 name eth0v0")
    assert isinstance(ops[i + 1], SetAlias) and ops[i + 1].ns == "vnl-sr.ns1"
    assert lines.index("ip -n vnl-sr.ns1 addr add 10.0.0.1/24 dev eth0v0") > i
    assert lines.index("ip -n vnl-sr.ns1 link set eth0v0 up") > i
    # a VF without an administrative MAC gets the lab's on its own netdev
    assert any(line.startswith("ip -n vnl-sr.ns2 link set vf1 address ") for line in lines)
    assert not any(line.startswith("ip -n vnl-sr.ns1 link set eth0v0 address ")
                   for line in lines)


def test_another_nonzero_numvfs_goes_through_zero(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    capable(tmp_path, monkeypatch, numvfs=2)
    ops = [op for op in plan(lab(), unsupported={}) if isinstance(op, WriteNumvfs)]
    assert [(op.numvfs, op.claim, op.original, op.target) for op in ops] == [
        (0, True, 2, 4), (4, False, 2, 4)]
    assert shell_lines(ops) == ["echo 0 > /sys/class/net/enp3s0f0/device/sriov_numvfs",
                                "echo 4 > /sys/class/net/enp3s0f0/device/sriov_numvfs"]


def test_what_only_the_emulator_has_is_named_with_the_hosts_state(
        host_like_this_one: sriov_host.Host) -> None:
    text = """
name: w
nodes:
  a:
    interfaces:
      p0: {type: nic, wire: "b:p0", addresses: [10.0.0.1/24], sriov: {numvfs: 1}}
  b:
    interfaces:
      p0: {type: nic}
"""
    msg = refusal(load_lab_text(text))
    assert ("a:p0 is a nic with wire: cables between nic ports exist only in the emulator (on "
            "the kernel, join namespaces with links: veth); with addresses or a master: the "
            "PF stays in the host's namespace") in msg
    assert msg.count("this host has no SR-IOV capable NIC") == 2  # a:p0 and b:p0


def test_a_capable_pf_with_nothing_to_change_plans_nothing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    capable(tmp_path, monkeypatch)
    text = """
name: z
nodes:
  host:
    interfaces:
      eth0: {type: nic, device: enp3s0f0, sriov: {numvfs: 0}}
"""
    ops = plan(load_lab_text(text), unsupported={})
    assert not [op for op in ops if op.ns == "" or "enp3s0f0" in op.shell()]


def test_observe_names_a_vf_by_the_labs_kind() -> None:
    """The kernel reports a VF's netdev without IFLA_INFO_KIND (its driver has no
    rtnl_link_ops): the observer takes the lab's kind for it, and only for such kinds."""
    from vnetlab.kernel.observe import _physical_kind

    spec_lab = lab()
    assert _physical_kind(spec_lab, "ns1", "eth0v0") == "vf"
    assert _physical_kind(spec_lab, "host", "eth0v3") == "vf"  # unplaced: next to its PF
    assert _physical_kind(spec_lab, "ns1", "nothere") is None
    assert _physical_kind(None, "ns1", "eth0v0") is None


def test_the_printed_plan_says_how_to_put_the_pf_back(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from vnetlab.kernel.plan import plan_script

    capable(tmp_path, monkeypatch, numvfs=2)
    text = plan_script(lab(), run_id="r1")
    head = text.split("set -e\n")[0]
    assert ("#   echo 0 > /sys/class/net/enp3s0f0/device/sriov_numvfs\n"
            "#   echo 2 > /sys/class/net/enp3s0f0/device/sriov_numvfs\n"
            "#   ip netns del vnl-sr.host\n") in head
    body = text.split("set -e\n")[1]
    assert body.index("echo 0 > /sys") < body.index("echo 4 > /sys") < body.index(
        "ip link set enp3s0f0 vf 0 ")
