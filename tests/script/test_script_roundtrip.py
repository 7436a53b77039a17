"""Round trip: ``vnetlab export --script`` → run → observe equals the YAML-built lab, for
every example lab the emulator supports; and a lab's ``setup:`` script runs after build."""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from vnetlab.api import make_engine
from vnetlab.cli.main import cli
from vnetlab.model import LabSpec, load_lab, load_lab_text
from vnetlab.script import World, run_script
from vnetlab.script.export import ExportError, export_script
from vnetlab.sim.engine import SimEngine

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))
sys.path.insert(0, str(ROOT / "tests" / "diff"))
from normalize import normalize  # noqa: E402  (the differential tests' one normaliser)


def _settle(world: World) -> None:
    """The lab build settles IPv6 autoconfiguration before its state is looked at (no
    address tentative, the first MLD reports out); a script lets time pass only where it
    says so, so the script's world is settled the same way before comparing."""
    import importlib

    try:
        settle = importlib.import_module("vnetlab.sim.settle")
    except ModuleNotFoundError:  # no settle step in this tree: nothing to wait for
        return
    settle.settle_ipv6(world.sched, world.all_namespaces().values())


def assert_round_trips(lab: LabSpec, source: str) -> None:
    """``export --script`` then ``script`` builds the state the YAML builds."""
    text = export_script(lab)
    eng = SimEngine()
    eng.realize(lab)
    err: list[str] = []
    rc, it = run_script(text, source=source, out=lambda s: None, err=err.append)
    assert rc == 0, "\n".join(err)
    _settle(it.world)
    yaml_state, script_state = eng.observe(), it.world.observe()
    assert set(script_state.nodes) >= set(yaml_state.nodes)
    # a lab without a "host" node: the script's root namespace stays empty and is left out
    extra = set(script_state.nodes) - set(yaml_state.nodes)
    assert extra <= {"host"}
    for name in extra:
        assert [ln.ifname for ln in script_state.nodes[name].links] == ["lo"]
    script_state = dataclasses.replace(
        script_state, nodes={n: script_state.nodes[n] for n in yaml_state.nodes})
    assert normalize(script_state) == normalize(yaml_state)
    for node, ns in yaml_state.nodes.items():
        assert script_state.nodes[node].vlans == ns.vlans
        assert script_state.nodes[node].sysctls == ns.sysctls


_TUNTAP = "a TUN/TAP program has no command form"
_SRIOV = ("a physical NIC port and its VFs have no ip link add form (export of SR-IOV labs is "
          "not supported yet)")
#: the examples `export --script` refuses, with the device and reason it names: pinned, so a
#: new refusal (or a lab that starts exporting) fails here instead of skipping unnoticed
NO_COMMAND_FORM = {
    "exercise5-sriov": f"host:eth0: {_SRIOV}",
    "failure-vf-queue-exhaustion": f"host:eth0: {_SRIOV}",
    "geneve-options": "h1:gnv0: Geneve option TLVs have no ip command form",
    "impaired-vpn": f"site1:tun0: {_TUNTAP}",
    "ovs-vxlan": f"host1:tap-vm1: {_TUNTAP}",
    "security-arp-spoofing-mitigated": f"host:atk0: {_TUNTAP}",
    "security-arp-spoofing-ovs": f"host:atk0: {_TUNTAP}",
    "security-arp-spoofing": f"host:atk0: {_TUNTAP}",
    "security-bridge-bypass-mitigated": f"host:sniff0: {_TUNTAP}",
    "security-bridge-bypass": f"host:sniff0: {_TUNTAP}",
    "security-plaintext-vxlan-esp": f"underlay:spy0: {_TUNTAP}",
    "security-plaintext-vxlan-mitigated": f"vtep1:tun0: {_TUNTAP}",
    "security-plaintext-vxlan": f"underlay:spy0: {_TUNTAP}",
    "security-vf-isolation": f"host:eth0: {_SRIOV}",
    "vm-tap": f"host:tap0: {_TUNTAP}",
    "vpn-tun": f"site1:tun0: {_TUNTAP}",
}


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_export_run_observe_equals_yaml(path: Path) -> None:
    lab = load_lab(path)
    want = NO_COMMAND_FORM.get(path.stem)
    if want is not None:
        with pytest.raises(ExportError) as e:
            export_script(lab)
        assert str(e.value) == want
        return
    try:
        export_script(lab)
    except ExportError as e:  # a new refusal: pin it in NO_COMMAND_FORM if it is intended
        pytest.fail(f"{path.name} does not export: {e}")
    assert_round_trips(lab, path.name)


def test_pinned_refusals_name_existing_examples() -> None:
    assert set(NO_COMMAND_FORM) <= {p.stem for p in EXAMPLES}


# interfaces named like the words of `ip link` (issue 10 item 11): a name is always spelled
# after a keyword, so none of them is read as one
AWKWARD = """\
name: awkward
description: |
  first line
  ip netns add injected
  # vnetlab: bare
nodes:
  host:
    interfaces:
      type: {type: bridge, addresses: [192.168.1.1/24]}
      dev: {master: type, mtu: 1400}
      up: {master: type}
      master: {type: dummy}
      address: {type: bridge}
  a:
    interfaces:
      name: {addresses: [192.168.1.2/24], mtu: 1400}
      link: {type: vlan, link: name, id: 10, addresses: [10.0.10.2/24]}
      peer: {type: macvlan, link: name, mode: bridge}
  b:
    interfaces:
      mtu: {addresses: [192.168.1.3/24]}
links:
  - endpoints: [host:dev, a:name]
  - endpoints: [host:up, b:mtu]
"""


def test_awkward_names_and_descriptions_round_trip() -> None:
    lab = load_lab_text(AWKWARD, "awkward.yaml")
    text = export_script(lab)
    head = text.split("\n")[:6]
    assert all(line.startswith("#") for line in head[:4]), head
    assert "# vnetlab: bare" in head[:5]
    assert not any(line.startswith("ip netns add injected") for line in text.split("\n"))
    assert_round_trips(lab, "awkward.yaml")


LAB = """\
name: setup-demo
nodes:
  host:
    interfaces:
      br0: {type: bridge, addresses: [192.168.1.1/24]}
      veth0: {master: br0}
  a:
    interfaces:
      eth0: {addresses: [192.168.1.2/24]}
links:
  - endpoints: [host:veth0, a:eth0]
setup: |
  ip netns exec a ip route add default via 192.168.1.1
  bridge fdb add 02:00:00:00:00:99 dev veth0 master static
checks:
  - ping: a -> 192.168.1.1
"""


def test_setup_runs_after_build() -> None:
    lab = load_lab_text(LAB)
    eng = make_engine("sim")  # the setup runner is given by the API, above the emulator
    eng.realize(lab)
    state = eng.observe()
    assert any(r.dst == "default" for r in state.nodes["a"].routes)
    assert any(f.mac == "02:00:00:00:00:99" and "static" in f.flags
               for f in state.nodes["host"].fdb)
    assert export_script(lab).rstrip().endswith("master static")


def test_failing_setup_is_a_clear_error() -> None:
    from vnetlab.engine import EngineError

    lab = load_lab_text(LAB.replace("dev veth0 master", "dev nope master"))
    with pytest.raises(EngineError, match='setup-demo: setup:2: Cannot find device "nope"'):
        make_engine("sim").realize(lab)


def test_cli_script_export_and_shell(tmp_path: Path) -> None:
    runner = CliRunner()
    f = tmp_path / "lab.yaml"
    f.write_text(LAB)
    r = runner.invoke(cli, ["export", str(f), "--script"])
    assert r.exit_code == 0 and "ip netns add a" in r.output
    s = tmp_path / "lab.sh"
    s.write_text(r.output + "ip netns exec a ping -c 1 -q 192.168.1.1\n")
    r = runner.invoke(cli, ["script", str(s)])
    assert r.exit_code == 0, r.output
    assert "1 packets transmitted, 1 received, 0% packet loss" in r.output
    bad = tmp_path / "bad.sh"
    bad.write_text("set -e\nip link set veth9 up\necho never\n")
    r = runner.invoke(cli, ["script", str(bad)])
    assert r.exit_code == 1 and 'bad.sh:2: Cannot find device "veth9"' in r.output
    assert "never" not in r.output
    r = runner.invoke(cli, ["shell", str(f)], input="ip -n a -br addr\nexit 4\n",
                      env={"VNETLAB_HISTORY": str(tmp_path / "h")})
    assert r.exit_code == 4 and "192.168.1.2/24" in r.output
    r = runner.invoke(cli, ["script", "-", "--set", "namespace=a", "--lab", str(f)],
                      input="ip -n <namespace> -br link show eth0\n")
    assert r.exit_code == 0 and r.output.startswith("eth0@if")


def test_shell_completion() -> None:
    from vnetlab.script import Interpreter
    from vnetlab.script.shell import completions

    it = Interpreter()
    it.run_line("ip link add veth0 type veth peer name veth1")
    assert "ip" in completions(it, "i", "i")
    assert "veth0" in completions(it, "ip link set ve", "ve")
    assert "link" in completions(it, "ip l", "l")


#: every option a kind's ``ip_link_type()`` spells, so the interpreter must take them all
EVERY_OPTION = """\
name: every-option
nodes:
  host:
    interfaces:
      eth0: {addresses: [10.0.0.1/24]}
      eth1: {addresses: [10.0.1.1/24]}
      br0: {type: bridge, ageing_time: 12.5, vlan_filtering: true, default_pvid: 0}
      br1: {type: bridge, default_pvid: 7, vlans: [{vid: 7, pvid: true, untagged: true}]}
      vx0: {type: vxlan, id: 42, dstport: 4789, local: 10.0.0.1, remote: 10.0.0.2,
            dev: eth0, ttl: 9, df: set, learning: false}
      vx1: {type: vxlan, id: 43, group: 239.1.1.1, dev: eth0, df: inherit}
      gn0: {type: geneve, id: 5, remote: 10.0.1.2, dstport: 6090, ttl: 3, df: set}
      gn1: {type: geneve, id: 6, remote: 10.0.1.2}
      eth0.5: {type: vlan, link: eth0, id: 5, up: false}
      iv0: {type: ipvlan, link: eth1, mode: l3}
  peer:
    interfaces:
      eth0: {addresses: [10.0.0.2/24]}
      eth1: {addresses: [10.0.1.2/24]}
      mv0: {type: macvlan, link: host:eth0, mode: vepa}
links:
  - endpoints: [host:eth0, peer:eth0]
  - endpoints: [host:eth1, peer:eth1]
"""


def _linkinfo(world: World) -> dict[tuple[str, str], object]:
    """Each device's ``ip -d -j link show`` linkinfo: every option ``ip -d`` reports."""
    out: list[str] = []
    rc, _ = run_script("ip -d -j link show\nip -n peer -d -j link show\n", world=world,
                       out=out.append)
    assert rc == 0
    return {(ns, d["ifname"]): d.get("linkinfo")
            for ns, text in zip(["host", "peer"], out, strict=True) for d in json.loads(text)}


def test_every_ip_link_type_option_round_trips() -> None:
    lab = load_lab_text(EVERY_OPTION)
    text = export_script(lab)
    assert "type bridge stp_state 0 ageing_time 1250 vlan_filtering 1 vlan_default_pvid 0" \
        in text
    assert "link set br0 type bridge" not in text  # filtering comes at creation
    eng = SimEngine()
    eng.realize(lab)
    err: list[str] = []
    rc, it = run_script(text, source="every-option", out=lambda s: None, err=err.append)
    assert rc == 0, "\n".join(err)
    assert not [e for e in err if "not modelled" in e or "Will use" in e], err
    _settle(it.world)  # addresses are compared with their flags: DAD done on both sides
    yaml_state, script_state = eng.observe(), it.world.observe()
    script_state = dataclasses.replace(
        script_state, nodes={n: script_state.nodes[n] for n in yaml_state.nodes})
    assert normalize(script_state) == normalize(yaml_state)
    for node, ns in yaml_state.nodes.items():
        assert script_state.nodes[node].vlans == ns.vlans
    assert _linkinfo(it.world) == _linkinfo(World(engine=eng))
