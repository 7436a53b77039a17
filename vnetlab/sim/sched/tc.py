"""``tc qdisc add|change|replace|del`` on an emulated namespace (``tc_modify_qdisc``).

Design note
-----------
One entry point, ``tc_qdisc(ns, cmd)``, used by a lab's ``tc:`` lines at build time, by
the ``tc`` check step and by the script's ``tc`` command. It follows the kernel's
``tc_modify_qdisc``/``tc_get_qdisc`` for a root qdisc: ``add`` refuses a second root
(EEXIST, "Exclusivity flag on, cannot modify."), ``change`` needs one of the same kind,
``replace`` changes a root of the same kind in place and grafts a new one otherwise,
``del`` refuses the default (handle 0). Handles the user does not give are allocated like
``qdisc_alloc_handle`` (8001:, 8002: ... per namespace here). A netem qdisc without its
own ``seed`` gets one derived from the lab's ``seed`` and its place (``derive_seed``), so
the same lab gives the same frames, byte for byte.
"""

from __future__ import annotations

import errno
import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING

from vnetlab.model.tc import HtbOpts, NetemOpts, QdiscCmd, TbfOpts
from vnetlab.sim.sched.qdisc import TC_H_ROOT, Qdisc, QdiscError, derive_seed
from vnetlab.sim.sched.sch_htb import Htb
from vnetlab.sim.sched.sch_netem import Netem
from vnetlab.sim.sched.sch_tbf import Tbf

if TYPE_CHECKING:
    from vnetlab.sim.netdev import NetDevice
    from vnetlab.sim.stack.netns import Namespace

#: the default seed of a lab that names none (``LabSpec.seed``)
DEFAULT_SEED = 1


@dataclass
class TcNet:
    """Per-namespace qdisc bookkeeping: the lab's seed and the handle allocator."""

    seed: int = DEFAULT_SEED
    autohandle: int = 0x8000
    netems: int = 0


_NETS: weakref.WeakKeyDictionary[Namespace, TcNet] = weakref.WeakKeyDictionary()


def tc_net(ns: Namespace) -> TcNet:
    net = _NETS.get(ns)
    if net is None:
        _NETS[ns] = net = TcNet()
    return net


def set_seed(ns: Namespace, seed: int) -> None:
    tc_net(ns).seed = seed


def _create(dev: NetDevice, cmd: QdiscCmd, handle: int) -> Qdisc:
    opts = cmd.opts
    if isinstance(opts, NetemOpts):
        net = tc_net(dev.ns)
        seed = opts.seed if opts.seed is not None else derive_seed(
            net.seed, dev.where, net.netems)
        net.netems += 1
        return Netem(dev, handle, opts, seed)
    if isinstance(opts, TbfOpts):
        return Tbf(dev, handle, opts)
    if isinstance(opts, HtbOpts):
        return Htb(dev, handle, opts)
    if cmd.kind == "htb":
        return Htb(dev, handle, HtbOpts())
    if cmd.kind in ("netem",):
        return Netem(dev, handle, NetemOpts(), derive_seed(tc_net(dev.ns).seed, dev.where, 0))
    if cmd.kind == "tbf":
        raise QdiscError("Error: TBF: missing parameters.", errno.EINVAL)  # tbf_change
    raise QdiscError("Error: Specified qdisc kind is unknown.", errno.ENOENT)


def _alloc_handle(ns: Namespace) -> int:
    net = tc_net(ns)
    net.autohandle += 1
    return net.autohandle << 16


def _change(q: Qdisc, cmd: QdiscCmd) -> None:
    if cmd.kind and cmd.kind != q.kind:
        raise QdiscError("Error: Invalid qdisc name.", errno.EINVAL)
    if cmd.opts is not None:  # the same kind: the options are that kind's
        q.change(cmd.opts)
    q.run()


def _graft(dev: NetDevice, new: Qdisc | None) -> None:
    """``qdisc_graft`` at the root: the old qdisc's frames are freed (``qdisc_reset``)."""
    old = dev.qdisc
    if old is not None:
        old.reset()
    dev.qdisc = new


def _delete(dev: NetDevice, cmd: QdiscCmd) -> None:
    """``tc_get_qdisc`` for RTM_DELQDISC at the root."""
    q = dev.qdisc
    if cmd.parent == 0:  # no root/parent: looked up by handle (qdisc_lookup)
        if q is None or cmd.handle != q.handle:
            raise QdiscError("Error: Failed to find qdisc with specified handle.",
                             errno.ENOENT)
    elif cmd.handle and (q is None or q.handle != cmd.handle):
        raise QdiscError("Error: Invalid handle.", errno.EINVAL)
    if cmd.kind and cmd.kind != (q.kind if q is not None else _default_kind(dev)):
        raise QdiscError("Error: Invalid qdisc name.", errno.EINVAL)
    if cmd.parent == 0:
        raise QdiscError("Error: Classid cannot be zero.", errno.EINVAL)
    if q is None:
        raise QdiscError("Error: Cannot delete qdisc with handle of zero.", errno.ENOENT)
    _graft(dev, None)


def _default_kind(dev: NetDevice) -> str:
    from vnetlab.sim.sched.qdisc import NO_QUEUE_KINDS

    return "noqueue" if dev.kind in NO_QUEUE_KINDS or dev.tx_queue_len == 0 else "pfifo_fast"


def tc_qdisc(ns: Namespace, cmd: QdiscCmd) -> None:
    """Apply ``tc qdisc add|change|replace|del`` (raises QdiscError as the kernel would):
    ``tc_modify_qdisc``'s decisions for the root, in its order and with its words."""
    dev = ns.devices.get(cmd.dev)
    if dev is None:
        raise QdiscError(f'Cannot find device "{cmd.dev}"', errno.ENODEV)
    if cmd.parent not in (0, TC_H_ROOT):
        root = dev.qdisc
        if root is None or cmd.parent >> 16 != root.handle >> 16:
            raise QdiscError("Error: Failed to find qdisc with specified classid.",
                             errno.ENOENT)
        raise QdiscError(f"Error: vnetlab models root qdiscs only; {root.kind} "
                         f"{root.handle >> 16:x}: has no class to graft onto here.",
                         errno.EOPNOTSUPP)
    if cmd.verb == "del":
        _delete(dev, cmd)
        return
    create = cmd.verb in ("add", "replace")
    excl = cmd.verb == "add"
    replace = cmd.verb == "replace"
    q = dev.qdisc  # None: the default qdisc (handle 0), which the kernel ignores here
    graft = False
    if q is None or not cmd.handle or q.handle != cmd.handle:
        if cmd.handle:
            if q is not None and not replace:
                raise QdiscError("Error: NLM_F_REPLACE needed to override.", errno.EEXIST)
            graft = True  # qdisc_lookup finds no other qdisc of that handle here
        elif q is None or (create and replace and (excl or (cmd.kind and cmd.kind != q.kind))):
            graft = True
    if not graft:
        assert q is not None
        if excl:
            raise QdiscError("Error: Exclusivity flag on, cannot modify.", errno.EEXIST)
        _change(q, cmd)
        return
    if not create:
        raise QdiscError("Error: Qdisc not found. To create specify NLM_F_CREATE flag.",
                         errno.ENOENT)
    handle = cmd.handle or _alloc_handle(ns)
    _graft(dev, _create(dev, cmd, handle))
