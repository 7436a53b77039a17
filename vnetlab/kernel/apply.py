"""Apply a plan through rtnetlink in-process, all or nothing; delete a lab's links in batches.

Design note
-----------
Each ``Op`` applies itself (``Op.apply``, beside its ``shell()``): one rtnetlink request on
the socket of its namespace (opened once, in ``vnetlab.kernel.nl``) or one sysctl write from
inside the namespace, the messages iproute2 sends for the same command. We choose every
ifindex ourselves (``ifi_index`` in ``RTM_NEWLINK``, also for the veth peer), so no request
waits for a lookup and all of them are pipelined. If any request fails, the whole lab is
rolled back: its links are deleted and its namespaces removed.

Teardown mirrors ``ip -n NS link del group G`` (``rtnl_group_dellink``): all of a namespace's
lab links go in one ``unregister_netdevice_many`` batch (one RCU grace period instead of one
per link), and the request returns only once the kernel has really unregistered them; then
the namespace mounts are detached (``ip netns del``).

The plan's prelude — each ``ip netns add`` with the ops that act only inside that new
namespace (its sysctls, ``lo`` up) — is applied by ``PRELUDE_WORKERS`` threads side by side:
those namespaces share nothing, ``setns`` moves only the calling thread, each namespace has
its own socket, and most of their cost is the kernel's (``copy_net_ns``, the bind mount, the
first ``/proc/sys`` lookup in a namespace, which walks one dentry per namespace on the host)
rather than the interpreter's. Everything after the prelude is applied in plan order. The
result is the same as one by one: every namespace gets the same ops in the same order; a
failure is reported for the first failing op in plan order and rolls back all.
``on_progress`` sees the prelude ops in plan order before they are dispatched.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor

from vnetlab.engine import EngineError
from vnetlab.kernel import nl
from vnetlab.kernel import rtnl as M
from vnetlab.kernel.ops.base import VNL_GROUP, Op, Realized
from vnetlab.kernel.ops.link import SetUp
from vnetlab.kernel.ops.netns import AddNetns, SetSysctl

#: threads making the prelude's namespaces at once (the kernel work overlaps; more gains
#: nothing on a small machine, as measured by bench/linux_bringup.py)
PRELUDE_WORKERS = 4
#: below this many namespaces the threads cost more than they save
PRELUDE_MIN_NAMESPACES = 8


def _failed(op: object, exc: BaseException) -> EngineError:
    where = op.shell() if isinstance(op, Op) else str(op)
    return EngineError(
        f"the kernel refused `{where}`: {exc}; everything this lab had made was removed",
        hint="check the lab for conflicting addresses/routes; `vnetlab lint` explains most",
    )


def apply(
    ops: Iterable[Op],
    *,
    fail_at: int | None = None,
    on_progress: Callable[[int, Op], None] | None = None,
) -> Realized:
    """Apply ``ops`` in order; on any failure remove everything made and raise EngineError.

    ``fail_at`` (tests only) injects a failure before the op with that index.
    """
    r = Realized()
    ops = list(ops)
    try:
        start = _apply_prelude(ops, r, fail_at, on_progress)
        for i in range(start, len(ops)):
            op = ops[i]
            if fail_at is not None and i == fail_at:
                raise EngineError(f"injected failure before `{op.shell()}`")
            if on_progress is not None:
                on_progress(i, op)
            _apply_one(op, r)
        for h in r.ns.values():
            try:
                h.sock.flush()
            except nl.NetlinkRequestError as e:
                raise _failed(e.tag, e) from None
    except BaseException:
        names = list(r.ns)
        destroy(r, names)
        raise
    return r


def _apply_one(op: Op, r: Realized) -> None:
    try:
        op.apply(r)
    except nl.NetlinkRequestError as e:
        raise _failed(e.tag if e.tag is not None else op, e) from None
    except OSError as e:
        raise _failed(op, e) from None


def prelude_length(ops: Sequence[Op]) -> int:
    """How many leading ops are namespace-local: each ``AddNetns`` and, after it, ops that
    act only inside a namespace the prelude made (``SetSysctl``, ``lo`` up)."""
    made: set[str] = set()
    for i, op in enumerate(ops):
        if isinstance(op, AddNetns):
            made.add(op.ns)
        elif not (op.ns in made and (isinstance(op, SetSysctl)
                                     or (isinstance(op, SetUp) and op.ifname == "lo"))):
            return i
    return len(ops)


def _apply_prelude(ops: list[Op], r: Realized, fail_at: int | None,
                   on_progress: Callable[[int, Op], None] | None) -> int:
    """Apply the prelude with one thread per namespace at a time; the index after it (0 when
    the plan is too small to gain: then ``apply`` does it all in order)."""
    end = prelude_length(ops)
    groups: dict[str, list[tuple[int, Op]]] = {}
    for i in range(end):
        groups.setdefault(ops[i].ns, []).append((i, ops[i]))
    if len(groups) < PRELUDE_MIN_NAMESPACES:
        return 0
    stop = end if fail_at is None else min(end, fail_at)
    if on_progress is not None:
        for i in range(stop):
            on_progress(i, ops[i])

    def run(group: list[tuple[int, Op]]) -> tuple[int, BaseException] | None:
        for i, op in group:
            if i >= stop:
                return None
            try:
                _apply_one(op, r)
            except BaseException as e:  # noqa: BLE001 - reported below, in plan order
                return i, e
        return None

    with ThreadPoolExecutor(PRELUDE_WORKERS, thread_name_prefix="vnl-netns") as pool:
        outcomes = list(pool.map(run, groups.values()))
    # the namespaces in plan order, whichever thread made each first
    made = dict(r.ns)
    r.ns.clear()
    r.ns.update({ns: made[ns] for ns in groups if ns in made})
    failures = sorted((o for o in outcomes if o is not None), key=lambda o: o[0])
    if failures:
        raise failures[0][1]
    if stop < end:
        raise EngineError(f"injected failure before `{ops[stop].shell()}`")
    return end


def delete_lab_links(sock: nl.NlSocket) -> None:
    """``ip link del group VNL_GROUP`` in the socket's namespace (ENODEV: none left)."""
    try:
        sock.send_raw(M.RTM_DELLINK, M.ifinfomsg(0) + M.u32(M.IFLA_GROUP, VNL_GROUP))
        sock.flush()
    except nl.NetlinkRequestError as e:
        if e.errno != errno.ENODEV:
            raise


def destroy(r: Realized | None, names: Iterable[str]) -> list[str]:
    """Delete the lab links in every namespace, then remove the namespaces.

    Works from handles when we have them (``r``), else opens each namespace by name. Returns
    the namespaces removed. The links are really gone when this returns.
    """
    names = list(names)
    if r is not None:  # processes first: a running one would keep its namespace alive
        r.run_cleanups()
    handles = dict(r.ns) if r is not None else {}
    left = r.remaining_links() if r is not None else {}
    # the namespace with most links first: its veth deletions take the peers along, so
    # namespaces left with no lab link need no request at all
    order = sorted(names, key=lambda n: -len(left.get(n, ())) if n in handles else 0)
    for name in order:
        h = handles.get(name)
        try:
            if h is not None:
                if not left.get(name):
                    continue
                h.sock.failures.clear()
                h.sock.pending.clear()
                delete_lab_links(h.sock)
                assert r is not None
                for ifname in left.pop(name):
                    peer = r.peers.get((name, ifname))
                    if peer is not None and peer[0] in left:
                        left[peer[0]].discard(peer[1])
            elif os.path.exists(nl.netns_path(name)):
                fd = nl.open_netns(name)
                try:
                    sock = nl.socket_in(fd)
                finally:
                    os.close(fd)
                try:
                    delete_lab_links(sock)
                finally:
                    sock.close()
        except Exception:  # noqa: BLE001 - the namespace goes below anyway, links with it
            pass
    if r is not None:
        r.close()
    removed = [n for n in names if nl.remove_netns(n)]
    return removed
