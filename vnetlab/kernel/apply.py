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
"""

from __future__ import annotations

import errno
import os
from collections.abc import Callable, Iterable

from vnetlab.engine import EngineError
from vnetlab.kernel import nl
from vnetlab.kernel import rtnl as M
from vnetlab.kernel.ops.base import VNL_GROUP, Op, Realized


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
    try:
        for i, op in enumerate(ops):
            if fail_at is not None and i == fail_at:
                raise EngineError(f"injected failure before `{op.shell()}`")
            if on_progress is not None:
                on_progress(i, op)
            try:
                op.apply(r)
            except nl.NetlinkRequestError as e:
                raise _failed(e.tag if e.tag is not None else op, e) from None
            except OSError as e:
                raise _failed(op, e) from None
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
