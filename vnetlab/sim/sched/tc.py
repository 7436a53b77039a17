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


def tc_qdisc(ns: Namespace, cmd: QdiscCmd) -> None:
    """Apply ``tc qdisc add|change|replace|del`` (raises QdiscError as the kernel would)."""
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
    q = dev.qdisc
    if cmd.verb == "del":
        if q is None or (cmd.handle and cmd.handle != q.handle):
            raise QdiscError("Error: Cannot delete qdisc with handle of zero."
                             if q is None else "Error: Invalid handle.", errno.EINVAL
                             if q is None else errno.ENOENT)
        if cmd.kind and cmd.kind != q.kind:
            raise QdiscError("Error: Invalid qdisc name.", errno.EINVAL)
        _graft(dev, None)
        return
    if cmd.verb == "change":
        if q is None:
            raise QdiscError("Error: Qdisc not found. To create specify NLM_F_CREATE flag.",
                             errno.ENOENT)
        _change(q, cmd)
        return
    if q is not None:
        if cmd.verb == "add":
            raise QdiscError("Error: Exclusivity flag on, cannot modify.", errno.EEXIST)
        # replace: the same kind (and handle, if given) is changed in place
        if cmd.kind == q.kind and (not cmd.handle or cmd.handle == q.handle):
            _change(q, cmd)
            return
    handle = cmd.handle or _alloc_handle(ns)
    _graft(dev, _create(dev, cmd, handle))

