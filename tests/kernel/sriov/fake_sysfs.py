"""A fake /sys and /proc for the SR-IOV side of the linux engine (no hardware needed).

``fake_host`` lays out what the kernel shows: ``/sys/class/net/NAME/{ifindex,device/}``,
a PF's ``device/sriov_totalvfs`` and ``sriov_numvfs`` (only for NICs with the PCI SR-IOV
capability), ``device/virtfnN/net/VFNAME`` for enabled VFs whose driver bound, and
``/proc/config.gz`` with the kernel options the refusal names.
"""

from __future__ import annotations

import gzip
from pathlib import Path

from vnetlab.kernel.kinds.sriov_host import Host


def fake_host(root: Path, nics: dict[str, tuple[int, int] | None],
              config: dict[str, str] | None = None, *, vf_netdevs: bool = True) -> Host:
    """NICS: name -> (totalvfs, numvfs), or None for a NIC without SR-IOV (a virtio
    one, like this machine's). CONFIG: kernel options ("y", "m"; "n": is not set)."""
    sys, proc = root / "sys", root / "proc"
    net = sys / "class" / "net"
    net.mkdir(parents=True)
    proc.mkdir()
    index = 2
    for name, sriov in nics.items():
        dev = net / name / "device"
        dev.mkdir(parents=True)
        (net / name / "ifindex").write_text(f"{index}\n")
        index += 1
        if sriov is None:
            continue
        total, num = sriov
        (dev / "sriov_totalvfs").write_text(f"{total}\n")
        (dev / "sriov_numvfs").write_text(f"{num}\n")
        for k in range(num if vf_netdevs else 0):
            vfname = f"{name}v{k}"
            (dev / f"virtfn{k}" / "net" / vfname).mkdir(parents=True)
            (net / vfname).mkdir()
            (net / vfname / "ifindex").write_text(f"{100 + k}\n")
    lines = [f"CONFIG_{k}={v}" if v != "n" else f"# CONFIG_{k} is not set"
             for k, v in (config or {}).items()]
    (proc / "config.gz").write_bytes(gzip.compress(("\n".join(lines) + "\n").encode()))
    return Host(sys, proc)


class FakeIov:
    """``sriov_numvfs_store`` on the fake tree (drivers/pci/iov.c): a number above
    ``sriov_totalvfs`` is ERANGE, nonzero to another nonzero EBUSY, the same number a
    no-op; enabling makes the ``virtfnN/net`` entries, 0 removes them. ``writes``: every
    (PF, N) written, in order."""

    def __init__(self) -> None:
        self.writes: list[tuple[str, int]] = []

    def __call__(self, host: Host, dev: str, n: int) -> None:
        import errno
        import shutil

        self.writes.append((dev, n))
        total = host.totalvfs(dev)
        now = host.numvfs(dev)
        if total is None or now is None:
            raise OSError(errno.ENOENT, "No such file or directory")
        if n > total:
            raise OSError(errno.ERANGE, "Numerical result out of range")
        if n == now:
            return
        if n and now:
            raise OSError(errno.EBUSY, "Device or resource busy")
        devdir = host.net(dev) / "device"
        for k in range(now):
            shutil.rmtree(devdir / f"virtfn{k}", ignore_errors=True)
        for k in range(n):
            (devdir / f"virtfn{k}" / "net" / f"{dev}v{k}").mkdir(parents=True)
        host.numvfs_path(dev).write_text(f"{n}\n")
