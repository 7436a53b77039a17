"""Bring-up and teardown of N namespaces on a bridge: vnetlab's linux engine vs ``ip -batch``.

Design note
-----------
The lab: a ``host`` namespace with bridge ``br0`` (10.0.0.1/16) and N node namespaces, each
joined to ``br0`` by a veth pair and given an address (above 1,000 nodes: more bridges, see
below). Both sides build exactly that, in the same run, one after the other, and are timed
until the kernel has really removed the links on teardown:

* vnetlab: ``LinuxEngine.realize`` (in-process netlink, one socket per namespace, pipelined,
  the namespaces made by a few threads; the lab says ``ipv6: off``, so it also switches IPv6
  off — and does not wait for DAD — and tags every link, which the baseline does not) and
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
(vnetlab / ip -batch; <= 1.0 means vnetlab is no slower); the line before it gives the
bring-up ratio alone at N >= 500 (the goal: <= 0.5). Needs root.

Large N (1,000 and 2,000). A Linux bridge holds at most 1,023 ports (``BR_MAX_PORTS`` =
``1 << BR_PORT_BITS`` = 1024, port number 0 reserved; ``br_if.c find_portno`` fails with
``EXFULL`` beyond), so the nodes go in groups of at most ``PORTS_PER_BRIDGE`` per bridge
``brK`` (``10.K.0.1/16``, nodes ``10.K.x.y/16``); both sides build the same groups, and up to
1,000 nodes the lab is the single-bridge one as before. Before each N the bench checks what
the machine allows and stops there, saying why: file descriptors (vnetlab keeps a namespace
fd and a netlink socket per namespace, ``RLIMIT_NOFILE``; the soft limit is raised to the
hard one if needed), ``user.max_net_namespaces``, memory (the kernel's cost per namespace,
measured at the first N from ``MemAvailable``, projected) and time (each side's time at the
previous N projected with the growth measured so far, against ``--time-limit``).
"""

from __future__ import annotations

import argparse
import math
import os
import resource
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
#: ports per bridge: below the kernel's 1,023 (BR_MAX_PORTS - 1), a round number
PORTS_PER_BRIDGE = 1000
#: file descriptors the process needs besides the per-namespace ones
FD_MARGIN = 256
#: the bench may use at most this share of the available memory
MEM_SHARE = 0.5


def star(name: str, n: int) -> LabSpec:
    """host with bridges br0, br1 ... (PORTS_PER_BRIDGE nodes each), N nodes on them."""
    host_ifs: dict[str, object] = {}
    nodes: dict[str, object] = {"host": {"interfaces": host_ifs}}
    links = []
    for k in range(_bridges(n)):
        host_ifs[f"br{k}"] = {"type": "bridge", "addresses": [f"10.{k}.0.1/16"]}
    for i in range(n):
        host_ifs[f"v{i}"] = {"master": _bridge(i)}
        nodes[f"n{i}"] = {"interfaces": {"eth0": {"addresses": [_addr(i)]}}}
        links.append({"endpoints": [f"host:v{i}", f"n{i}:eth0"]})
    spec: dict[str, object] = {"name": name, "nodes": nodes, "links": links}
    if "ipv6" in LabSpec.model_fields:  # where the model has it: IPv4 only, as before, so
        spec["ipv6"] = False            # no DAD wait that the baseline does not have
    return LabSpec.model_validate(spec)


def _bridges(n: int) -> int:
    return max(1, -(-n // PORTS_PER_BRIDGE))


def _bridge(i: int) -> str:
    return f"br{i // PORTS_PER_BRIDGE}"


def _addr(i: int) -> str:
    k, j = divmod(i, PORTS_PER_BRIDGE)
    return f"10.{k}.{(j + 2) // 256}.{(j + 2) % 256}/16"


def vnetlab_run(n: int) -> tuple[float, float, int]:
    """(up s, down s, bytes of memory the lab took while up, from ``MemAvailable``)."""
    lab = star(f"bench-{os.getpid()}", n)  # never clashes with a user's lab
    eng = LinuxEngine(prefix="vnl-")
    before = mem_available()
    t0 = time.perf_counter()
    try:
        eng.realize(lab)
        t1 = time.perf_counter()
        used = max(0, before - mem_available())
    finally:
        t2 = time.perf_counter()
        eng.teardown()
        t3 = time.perf_counter()
    return t1 - t0, t3 - t2, used


# -- what the machine allows ------------------------------------------------------------

def mem_available(meminfo: Path = Path("/proc/meminfo")) -> int:
    """``MemAvailable`` in bytes (the kernel's estimate of what can be had without swap)."""
    for line in meminfo.read_text().splitlines():
        if line.startswith("MemAvailable:"):
            return int(line.split()[1]) * 1024
    return 0


def net_namespaces_in_use() -> int:
    """Distinct network namespaces on the host: mounted ones and those of every task."""
    seen: set[int] = set()
    for p in [nl.netns_path(x) for x in nl.list_netns()] + [
            f"/proc/{d}/ns/net" for d in os.listdir("/proc") if d.isdigit()]:
        try:
            seen.add(os.stat(p).st_ino)
        except OSError:
            continue  # gone meanwhile
    return len(seen)


def room_for(n: int, per_ns_bytes: int | None) -> str | None:
    """Why N namespaces do not fit on this machine now, or None. Raises the soft fd limit
    to what the run needs when the hard limit allows it."""
    need_fds = 2 * (n + 1) + FD_MARGIN  # a namespace fd and a netlink socket each
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if need_fds > soft:
        if hard != resource.RLIM_INFINITY and need_fds > hard:
            return (f"file descriptors: {need_fds} needed (a namespace fd and a netlink "
                    f"socket per namespace), RLIMIT_NOFILE hard limit is {hard}")
        resource.setrlimit(resource.RLIMIT_NOFILE, (need_fds, hard))
    try:
        max_ns = int(Path("/proc/sys/user/max_net_namespaces").read_text())
    except (OSError, ValueError):
        max_ns = 0
    in_use = net_namespaces_in_use()
    if max_ns and in_use + n + 1 > max_ns:
        return (f"network namespaces: {n + 1} more needed, {in_use} in use, "
                f"user.max_net_namespaces is {max_ns}")
    if per_ns_bytes is not None:
        want, have = per_ns_bytes * (n + 1), mem_available()
        if want > MEM_SHARE * have:
            return (f"memory: about {want >> 20} MiB needed ({per_ns_bytes >> 10} KiB per "
                    f"namespace measured), {have >> 20} MiB available, the bench uses at "
                    f"most {MEM_SHARE:.0%}")
    return None


def projected_s(history: list[tuple[int, float]], n: int) -> float:
    """Seconds one round (both sides, up and down) will take at N, from the rounds so far:
    the last one scaled with the growth exponent of the last two (at least linear)."""
    (n1, t1) = history[-1]
    expo = 1.0
    if len(history) >= 2:
        (n0, t0) = history[-2]
        if n1 > n0 and t0 > 0 and t1 > 0:
            expo = max(1.0, math.log(t1 / t0) / math.log(n1 / n0))
    return float(t1 * (n / n1) ** expo)


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
            host_lines = ["link set lo up"]
            for k in range(_bridges(n)):
                host_lines += [f"link add br{k} type bridge", f"addr add 10.{k}.0.1/16 dev br{k}",
                               f"link set br{k} up"]
            for i, x in enumerate(nodes):
                host_lines += [f"link add v{i} type veth peer name eth0 netns {x}",
                               f"link set v{i} master {_bridge(i)}", f"link set v{i} up"]
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
    ap.add_argument("--sizes", default="50,200,500,1000,2000",
                    help="comma-separated N (default 50,200,500,1000,2000)")
    ap.add_argument("--repeat", type=int, default=3,
                    help="runs per side and N; the median time counts (default 3)")
    ap.add_argument("--time-limit", type=float, default=900.0,
                    help="seconds one N may take, all its runs (default 900): a larger N "
                    "whose projected time exceeds it is not started")
    args = ap.parse_args(argv)
    if os.geteuid() != 0:
        print("linux_bringup: needs root (network namespaces)", file=sys.stderr)
        return 2
    sizes = [int(x) for x in args.sizes.split(",") if x.strip()]
    repeat = max(1, args.repeat)
    features.probe_kinds()  # once per process, outside the timings
    print(f"{'N':>5} | {'vnetlab up':>10} {'ip-batch up':>11} {'ratio':>6} | "
          f"{'vnetlab down':>12} {'ip-batch down':>13} {'ratio':>6} | {'KiB/ns':>6}")
    worst, worst_up = 0.0, None
    per_ns: int | None = None
    history: list[tuple[int, float]] = []
    for n in sizes:
        why = room_for(n, per_ns)
        if why is None and history and projected_s(history, n) * repeat > args.time_limit:
            why = (f"time: about {projected_s(history, n) * repeat:.0f} s projected for "
                   f"{repeat} round(s), over --time-limit {args.time_limit:.0f} s")
        if why is not None:
            print(f"stops before N={n}: {why}", flush=True)
            break
        v_runs, b_runs = [], []
        t_start = time.perf_counter()
        for _ in range(repeat):  # interleaved, so drift hits both sides
            v_runs.append(vnetlab_run(n))
            b_runs.append(batch_run(n))
        history.append((n, (time.perf_counter() - t_start) / repeat))
        v_up, v_down = (statistics.median(x[i] for x in v_runs) for i in (0, 1))
        b_up, b_down = (statistics.median(x) for x in zip(*b_runs, strict=True))
        used = int(statistics.median(x[2] for x in v_runs)) // (n + 1)
        per_ns = used if per_ns is None else max(per_ns, used)
        r_up, r_down = v_up / b_up, v_down / b_down
        worst = max(worst, r_up, r_down)
        if n >= 500:
            worst_up = r_up if worst_up is None else max(worst_up, r_up)
        print(f"{n:>5} | {v_up:>9.3f}s {b_up:>10.3f}s {r_up:>6.2f} | "
              f"{v_down:>11.3f}s {b_down:>12.3f}s {r_down:>6.2f} | {used >> 10:>6}", flush=True)
    print("up ratio at N >= 500: " + ("n/a" if worst_up is None else f"{worst_up:.2f}"))
    print(f"ratio: {worst:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
