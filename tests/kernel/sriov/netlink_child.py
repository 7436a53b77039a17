"""Run inside ``unshare --net --mount`` by test_sriov_netlink.py: the SR-IOV ops against
the real kernel, with veth ends standing in for a PF and a VF's netdev (this machine
has no SR-IOV NIC). Prints one JSON object: what the kernel shows afterwards."""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
from pathlib import Path

from vnetlab.engine import EngineError
from vnetlab.kernel import apply as applier
from vnetlab.kernel import nl
from vnetlab.kernel import rtnl as M
from vnetlab.kernel.kinds import sriov_host
from vnetlab.kernel.kinds.sriov_ops import (
    IFLA_VF_INFO,
    IFLA_VF_MAC,
    IFLA_VFINFO_LIST,
    MoveVf,
    SetVf,
    SetVfAddress,
)
from vnetlab.kernel.ops.link import SetAlias
from vnetlab.kernel.ops.netns import AddNetns


def ip(*args: str) -> str:
    return subprocess.run(["ip", *args], check=True, capture_output=True, text=True).stdout


def main(fake: Path) -> None:
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "vnetlab-sriov", "/run/netns"],
                   check=True)
    # veth ends (this kernel may lack dummy): like a PF's, their driver has no VF ops
    ip("link", "add", "pf0", "type", "veth", "peer", "name", "pf0p")
    ip("link", "add", "vfnet7", "type", "veth", "peer", "name", "vfnet7p")  # VF 0's netdev
    index = {o["ifname"]: o["ifindex"] for o in json.loads(ip("-j", "link"))}
    for name in ("pf0", "vfnet7"):
        (fake / "class" / "net" / name).mkdir(parents=True)
        (fake / "class" / "net" / name / "ifindex").write_text(f"{index[name]}\n")
    (fake / "class" / "net" / "pf0" / "device" / "virtfn0" / "net" / "vfnet7").mkdir(
        parents=True)
    os.environ[sriov_host.ENV_SYSFS_ROOT] = str(fake)
    ns = "vnl-sriovtest.ns1"
    ops = [AddNetns(ns, node="ns1"), MoveVf(ns, pf="pf0", vf=0, ifname="eth0v0", index=42),
           SetVfAddress(ns, ifname="eth0v0", mac="02:00:00:00:00:42"),
           SetAlias(ns, ifname="eth0v0", alias="vnetlab:sriovtest:r1")]
    r = applier.apply(ops)
    moved = json.loads(ip("-n", ns, "-j", "link", "show", "eth0v0"))[0]
    out: dict[str, object] = {
        "moved": {k: moved.get(k) for k in ("ifindex", "ifname", "address", "ifalias")},
        "index_recorded": r.ns[ns].index.get("eth0v0"),
        "left_in_host": sorted(o["ifname"] for o in json.loads(ip("-j", "link"))),
    }
    errors = {}
    for op in (SetVf("", pf="pf0", vf=0, mac="00:11:22:33:44:55", vlan=100),
               SetVf("", pf="pf0", vf=0, vlan=5, qos=1, proto="802.1ad"),
               SetVf("", pf="pf0", vf=1, spoofchk=False, trust=True, state="enable",
                     max_tx_rate=100, min_tx_rate=10, query_rss=True)):
        try:
            op.apply(r)
            errors[op.shell()] = "accepted"
        except EngineError as e:
            errors[op.shell()] = str(e)
    out["set_vf"] = errors
    # the control: struct ifla_vf_mac cut to 10 bytes fails the kernel's nla_policy
    short = M.nla(IFLA_VF_MAC, struct.pack("I6s", 0, bytes(6)))
    sock = nl.NlSocket()
    try:
        sock.send_raw(M.RTM_NEWLINK, M.ifinfomsg(index["pf0"]) + M.nest(
            IFLA_VFINFO_LIST, M.nest(IFLA_VF_INFO, short)))
        sock.flush()
        out["malformed"] = "accepted"
    except nl.NetlinkRequestError as e:
        out["malformed"] = e.strerror
    finally:
        sock.close()
    applier.destroy(r, [ns])
    print(json.dumps(out))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
