"""Native tunnels (the userspace datapath's ``tnl_push``/``tnl_pop``) against real
ovs-vswitchd: the setup of OVS's own tests/tunnel-push-pop.at (an underlay bridge ``br0``
holding ``1.1.2.88/24`` and a route to it, the tunnel ports on ``int-br``), then
``ofproto/trace`` of VXLAN and Geneve pushes (``key=flow`` with ``set_tunnel`` and a fixed
key), a neighbour-cache miss and a pop; the trace text compared whole, bar the lines
that print the whole flow (``Flow:``/``Final flow:``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.sim.ovs.oracle import missing, oracle
from vnetlab.sim.ovs import native_tnl
from vnetlab.sim.ovs.appctl import run_appctl
from vnetlab.sim.ovs.vswitchd import Vswitchd

pytestmark = pytest.mark.skipif(missing() is not None, reason=str(missing()))

VSCTL = [
    "add-br", "br0", "--", "set", "bridge", "br0", "datapath_type=dummy",
    "other-config:hwaddr=aa:55:aa:55:00:00",
    "--", "add-br", "int-br", "--", "set", "bridge", "int-br", "datapath_type=dummy",
    "--", "add-port", "int-br", "t2", "--", "set", "Interface", "t2", "type=vxlan",
    "options:remote_ip=1.1.2.92", "options:key=flow", "ofport_request=2",
    "--", "add-port", "int-br", "t3", "--", "set", "Interface", "t3", "type=geneve",
    "options:remote_ip=1.1.2.92", "options:key=123", "ofport_request=3",
    "--", "add-port", "int-br", "t4", "--", "set", "Interface", "t4", "type=vxlan",
    "options:remote_ip=1.1.2.93", "options:key=5", "ofport_request=4",
    "--", "add-port", "int-br", "p1", "--", "set", "Interface", "p1", "type=dummy",
    "ofport_request=1",
    "--", "add-port", "int-br", "p8", "--", "set", "Interface", "p8", "type=dummy",
    "ofport_request=8",
    "--", "add-port", "br0", "p5", "--", "set", "Interface", "p5", "type=dummy",
    "ofport_request=1",
]
APPCTL = [
    ["netdev-dummy/ip4addr", "br0", "1.1.2.88/24"],
    ["ovs/route/add", "1.1.2.92/24", "br0"],
    ["tnl/neigh/set", "br0", "1.1.2.92", "aa:bb:cc:00:00:01"],
]
FLOWS = [
    "in_port=1,ip,nw_dst=10.0.0.2,actions=set_tunnel:0x64,output:2",
    "in_port=1,ip,nw_dst=10.0.0.3,actions=output:3",
    "in_port=1,ip,nw_dst=10.0.0.4,actions=output:4",
    "in_port=1,ip,nw_dst=10.0.0.5,actions=output:t4",
    "in_port=1,ip,nw_dst=10.0.0.6,actions=output:2,output:8",
]
INNER = "in_port=1,icmp,dl_src=f8:bc:12:44:34:b6,dl_dst=aa:55:aa:55:00:00,nw_src=10.0.0.1"
OUTER = ("in_port(5),eth(src=aa:bb:cc:00:00:01,dst=aa:55:aa:55:00:00),eth_type(0x0800),"
         "ipv4(src=1.1.2.92,")
TRACES = [
    ("int-br", f"{INNER},nw_dst=10.0.0.2"),  # VXLAN, key=flow from set_tunnel
    ("int-br", f"{INNER},nw_dst=10.0.0.3"),  # Geneve, fixed key
    ("int-br", f"{INNER},nw_dst=10.0.0.4"),  # neighbour miss: ARP request, drop
    ("int-br", f"{INNER},nw_dst=10.0.0.6"),  # not the last action: clone(tnl_push..)
    ("ovs-dummy", f"{OUTER}dst=1.1.2.88,proto=17,tos=0,ttl=64,frag=no),"
                  "udp(src=51283,dst=4789)"),  # VXLAN pop
    ("ovs-dummy", f"{OUTER}dst=1.1.2.88,proto=17,tos=0,ttl=64,frag=no),"
                  "udp(src=51283,dst=6081)"),  # Geneve pop
    ("ovs-dummy", f"{OUTER}dst=1.1.2.89,proto=17,tos=0,ttl=64,frag=no),"
                  "udp(src=51283,dst=4789)"),  # not to the bridge's address
]


def _comparable(text: str) -> str:
    """Without the whole-flow lines; the outputs after a ``tnl_push`` sorted (NORMAL
    floods in OpenFlow port order here, in hash-map order in OVS)."""
    out = []
    for ln in text.splitlines():
        if ln.startswith(("Flow:", "Final flow:")):
            continue
        if ln.startswith("Datapath actions: tnl_push") and ")),"  in ln:
            head, tail = ln.rsplit(")),", 1)
            ln = head + "))," + ",".join(sorted(tail.split(",")))
        out.append(ln + "\n")
    return "".join(out)


def _mac_of(show: str, port: str) -> str:
    """The port's MAC in ``ovs-ofctl show`` output."""
    for ln in show.splitlines():
        if f"({port}): addr:" in ln:
            return ln.split("addr:")[1].strip()
    raise AssertionError(f"{port} not in {show}")


def test_native_tunnel_traces_match_ovs(tmp_path: Path) -> None:
    assert native_tnl.NATIVE_TUNNELS
    vs = Vswitchd(None, dummy=True, override=False)
    assert vs.vsctl(VSCTL).status == 0
    with oracle(tmp_path, override=False) as o:
        o.vsctl(*VSCTL)
        for argv in APPCTL:
            real = o.appctl(*argv)
            ours = run_appctl(vs, argv)
            assert ours.stdout == real.stdout, argv
        for f in FLOWS:
            o.ofctl("add-flow", "int-br", f)
            assert vs.ofctl(["add-flow", "int-br", f]).status == 0
        # (dpif/show differs in the order the bridges' own ports got their numbers)
        for br, flow in TRACES:
            real = o.appctl("ofproto/trace", br, flow).stdout
            ours = run_appctl(vs, ["ofproto/trace", br, flow]).stdout
            assert _comparable(ours) == _comparable(real), flow
        # the pop learned the remote endpoint; the miss left nothing
        assert run_appctl(vs, ["tnl/neigh/show"]).stdout == o.appctl("tnl/neigh/show").stdout


def test_routes_via_a_bridge_port_and_nowhere_like_ovs(tmp_path: Path) -> None:
    """A route whose device is another port of a bridge goes out through it (that
    bridge's neighbour cache); no route to a bridge: "native tunnel routing failed"."""
    vs = Vswitchd(None, dummy=True, override=False)
    cmd = [*VSCTL, "--", "add-port", "br0", "p6", "--", "set", "Interface", "p6",
           "type=dummy", "--", "add-port", "int-br", "t7", "--", "set", "Interface", "t7",
           "type=vxlan", "options:remote_ip=9.9.9.9", "ofport_request=7"]
    assert vs.vsctl(cmd).status == 0
    with oracle(tmp_path, override=False) as o:
        o.vsctl(*cmd)
        for argv in (*APPCTL, ["netdev-dummy/ip4addr", "p6", "1.1.2.77/24"],
                     ["ovs/route/add", "1.1.2.92/32", "p6"],
                     ["ovs/route/add", "1.1.9.0/24", "p6"]):
            real = o.appctl(*argv, check=False)
            ours = run_appctl(vs, argv)
            assert (ours.stdout, ours.status) == (real.stdout, real.returncode), argv
        for f in (FLOWS[0], "in_port=1,ip,nw_dst=10.0.0.7,actions=output:7"):
            o.ofctl("add-flow", "int-br", f)
            vs.ofctl(["add-flow", "int-br", f])
        # dummy netdevs number their MACs in the order OVS happened to open them
        real_mac = _mac_of(o.ofctl("show", "br0"), "p6")
        our_mac = _mac_of(vs.ofctl(["show", "br0"]).stdout, "p6")
        for dst in ("10.0.0.2", "10.0.0.7"):
            real = o.appctl("ofproto/trace", "int-br", f"{INNER},nw_dst={dst}").stdout
            real = real.replace(real_mac, our_mac)
            ours = run_appctl(vs, ["ofproto/trace", "int-br", f"{INNER},nw_dst={dst}"]).stdout
            assert _comparable(ours) == _comparable(real), real
