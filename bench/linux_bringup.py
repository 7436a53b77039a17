"""Bring-up and teardown of N namespaces on one bridge: vnetlab's linux engine vs ``ip -batch``.

Design note
-----------
The lab: a ``host`` namespace with bridge ``br0`` (10.0.0.1/16) and N node namespaces, each
joined to ``br0`` by a veth pair and given an address. Both sides build exactly that, in
the same run, one after the other, and are timed until the kernel has really removed the
links on teardown:

* vnetlab: ``LinuxEngine.realize`` (in-process netlink, one socket per namespace, pipelined;
  it also switches IPv6 off and tags every link, which the baseline does not) and
  ``LinuxEngine.teardown`` (batched ``link del group`` per namespace, returns once the kernel
  unregistered the links, then ``ip netns del``);
* baseline: the shortest iproute2 script — one ``ip -batch`` adding the namespaces, one
  ``ip -n HOST -batch`` making the bridge and every veth pair across namespaces, one
  ``ip -n NODE -batch`` per node for its address and links up (iproute2 batches cannot
  switch namespace per line). Teardown: one ``ip -batch`` of ``netns del`` for the nodes,
  a wait (netlink, in the host namespace) until every veth is gone — the pairs die with the
  node namespaces in ``cleanup_net`` — then ``ip netns del`` of the host.

Each side runs ``--repeat`` times per N (interleaved); the median counts.
Prints the table and ends with ``ratio: X``, the worst of the bring-up and teardown ratios
(vnetlab / ip -batch; <= 1.0 means vnetlab is no slower). Needs root.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pyroute2.netlink.rtnl import RTM_GETLINK  # noqa: E402
from pyroute2.netlink.rtnl.ifinfmsg import ifinfmsg  # noqa: E402

from vnetlab.kernel import features, nl  # noqa: E402
from vnetlab.kernel.engine import LinuxEngine  # noqa: E402
from vnetlab.model.spec import LabSpec  # noqa: E402

WAIT_LIMIT_S = 120.0


def star(name: str, n: int) -> LabSpec:
    host_ifs: dict[str, object] = {"br0": {"type": "bridge", "addresses": ["10.0.0.1/16"]}}
    nodes: dict[str, object] = {"host": {"interfaces": host_ifs}}
    links = []
    for i in range(n):
        host_ifs[f"v{i}"] = {"master": "br0"}
        nodes[f"n{i}"] = {"interfaces": {"eth0": {"addresses": [_addr(i)]}}}
        links.append({"endpoints": [f"host:v{i}", f"n{i}:eth0"]})
    return LabSpec.model_validate({"name": name, "nodes": nodes, "links": links})


def _addr(i: int) -> str:
    return f"10.0.{(i + 2) // 256}.{(i + 2) % 256}/16"


def vnetlab_run(n: int) -> tuple[float, float]:
    lab = star(f"bench-{os.getpid()}", n)  # never clashes with a user's lab
    eng = LinuxEngine(prefix="vnl-")
    t0 = time.perf_counter()
    try:
        eng.realize(lab)
        t1 = time.perf_counter()
    finally:
        t2 = time.perf_counter()
        eng.teardown()
        t3 = time.perf_counter()
    return t1 - t0, t3 - t2


def _ip_batch(lines: list[str], netns: str | None, tmp: Path) -> None:
    f = tmp / "batch"
    f.write_text("\n".join(lines) + "\n")
    argv = ["ip"] + (["-n", netns] if netns else []) + ["-batch", str(f)]
    subprocess.run(argv, check=True)


def _veths_left(sock: nl.NlSocket) -> int:
    m = ifinfmsg()
    m["family"] = 0
    return sum(
        1 for x in sock.dump(m, RTM_GETLINK)
        if x.get_nested("IFLA_LINKINFO", "IFLA_INFO_KIND") == "veth"
    )


def batch_run(n: int) -> tuple[float, float]:
    tag = f"vnl-ipb{os.getpid()}"  # this run's own names: cleanup can never hit others'
    host = f"{tag}.host"
    nodes = [f"{tag}.n{i}" for i in range(n)]
    made: list[str] = []
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        try:
            t0 = time.perf_counter()
            _ip_batch([f"netns add {host}"] + [f"netns add {x}" for x in nodes], None, tmp)
            made = [host, *nodes]
            host_lines = ["link set lo up", "link add br0 type bridge",
                          "addr add 10.0.0.1/16 dev br0", "link set br0 up"]
            for i, x in enumerate(nodes):
                host_lines += [f"link add v{i} type veth peer name eth0 netns {x}",
                               f"link set v{i} master br0", f"link set v{i} up"]
            _ip_batch(host_lines, host, tmp)
            for i, x in enumerate(nodes):
                _ip_batch(["link set lo up", f"addr add {_addr(i)} dev eth0",
                           "link set eth0 up"], x, tmp)
            t1 = time.perf_counter()
        finally:
            # whatever the batch got to create before a failure is removed too
            made = [x for x in (host, *nodes) if os.path.exists(f"/run/netns/{x}")]
            t2 = time.perf_counter()
            fd = nl.open_netns(host) if host in made else None
            sock = nl.socket_in(fd) if fd is not None else None
            try:
                t2 = time.perf_counter()
                gone = [x for x in nodes if x in made]
                if gone:
                    _ip_batch([f"netns del {x}" for x in gone], None, tmp)
                deadline = time.monotonic() + WAIT_LIMIT_S
                while sock is not None and _veths_left(sock) and time.monotonic() < deadline:
                    time.sleep(0.005)
            finally:
                if sock is not None:
                    sock.close()
                if fd is not None:
                    os.close(fd)
            if host in made:
                subprocess.run(["ip", "netns", "del", host], check=True)
            t3 = time.perf_counter()
    return t1 - t0, t3 - t2


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="50,200,500",
                    help="comma-separated N (default 50,200,500)")
    ap.add_argument("--repeat", type=int, default=3,
                    help="runs per side and N; the median time counts (default 3)")
    args = ap.parse_args(argv)
    if os.geteuid() != 0:
        print("linux_bringup: needs root (network namespaces)", file=sys.stderr)
        return 2
    sizes = [int(x) for x in args.sizes.split(",") if x.strip()]
    features.probe_kinds()  # once per process, outside the timings
    print(f"{'N':>5} | {'vnetlab up':>10} {'ip-batch up':>11} {'ratio':>6} | "
          f"{'vnetlab down':>12} {'ip-batch down':>13} {'ratio':>6}")
    worst = 0.0
    for n in sizes:
        v_runs, b_runs = [], []
        for _ in range(max(1, args.repeat)):  # interleaved, so drift hits both sides
            v_runs.append(vnetlab_run(n))
            b_runs.append(batch_run(n))
        v_up, v_down = (statistics.median(x) for x in zip(*v_runs, strict=True))
        b_up, b_down = (statistics.median(x) for x in zip(*b_runs, strict=True))
        r_up, r_down = v_up / b_up, v_down / b_down
        worst = max(worst, r_up, r_down)
        print(f"{n:>5} | {v_up:>9.3f}s {b_up:>10.3f}s {r_up:>6.2f} | "
              f"{v_down:>11.3f}s {b_down:>12.3f}s {r_down:>6.2f}", flush=True)
    print(f"ratio: {worst:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
