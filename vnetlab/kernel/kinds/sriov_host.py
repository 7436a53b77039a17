"""The host's SR-IOV devices as sysfs shows them, and who owns a PF's VFs while a lab runs.

Design note
-----------
SR-IOV lives on the PCI device, not in a network namespace: ``drivers/pci/iov.c`` gives
every physical function ``sriov_totalvfs`` (what the device can do) and ``sriov_numvfs``
(what is enabled; ``sriov_numvfs_store``: above totalvfs is ERANGE, nonzero to another
nonzero EBUSY, 0 removes them all), and each enabled VF a ``virtfnN`` link whose ``net/``
directory names the VF's netdev once its driver has bound. The linux engine reads all of
it through ``Host`` — a sysfs root (and a procfs root, for the kernel's config) that
tests point at a fake tree (``VNETLAB_SYSFS_ROOT``/``VNETLAB_PROCFS_ROOT``).

``Host.missing()`` says, in one sentence, why a host cannot realize SR-IOV: no NIC with
``sriov_totalvfs``, the kernel built without ``CONFIG_PCI_IOV`` (PCI SR-IOV support), no
netdevsim (``CONFIG_NETDEVSIM``, the kernel's simulated NIC with VFs).

A lab that enables VFs takes the PF over for its lifetime: before the first write it
leaves a record (``run_dir()/sriov/PF.json``: the PF's original ``sriov_numvfs``, what
the lab set, the lab's ownership tag). ``restore`` puts the original back — on teardown,
on rollback, and from ``vnetlab gc`` after a crash — but only while the PF still has the
number of VFs the lab set: a PF someone changed since is theirs again and left alone.
"""

from __future__ import annotations

import contextlib
import errno
import gzip
import json
import os
import re
from dataclasses import asdict, dataclass
from pathlib import Path

from vnetlab.kernel import runtime

ENV_SYSFS_ROOT = "VNETLAB_SYSFS_ROOT"
ENV_PROCFS_ROOT = "VNETLAB_PROCFS_ROOT"


@dataclass(frozen=True, slots=True)
class Host:
    """The host's sysfs and procfs (``/sys``, ``/proc``), or a fake tree standing in."""

    sys: Path = Path("/sys")
    proc: Path = Path("/proc")

    def net(self, dev: str) -> Path:
        return self.sys / "class" / "net" / dev

    def exists(self, dev: str) -> bool:
        return self.net(dev).exists()

    def numvfs_path(self, dev: str) -> Path:
        return self.net(dev) / "device" / "sriov_numvfs"

    def _read_int(self, path: Path) -> int | None:
        try:
            return int(path.read_text().strip())
        except (OSError, ValueError):
            return None

    def totalvfs(self, dev: str) -> int | None:
        """``sriov_totalvfs`` of DEV's PCI device, None when it has no SR-IOV."""
        return self._read_int(self.net(dev) / "device" / "sriov_totalvfs")

    def numvfs(self, dev: str) -> int | None:
        return self._read_int(self.numvfs_path(dev))

    def ifindex(self, dev: str) -> int | None:
        return self._read_int(self.net(dev) / "ifindex")

    def capable(self) -> dict[str, int]:
        """Every netdev with ``device/sriov_totalvfs``: name -> totalvfs."""
        out: dict[str, int] = {}
        with contextlib.suppress(OSError):
            for p in sorted((self.sys / "class" / "net").iterdir()):
                total = self.totalvfs(p.name)
                if total is not None:
                    out[p.name] = total
        return out

    def driver(self, dev: str) -> str | None:
        with contextlib.suppress(OSError):
            return os.path.basename(os.readlink(self.net(dev) / "device" / "driver"))
        return None

    def vf_netdevs(self, dev: str, vf: int) -> list[str]:
        """The netdev(s) of VF ``vf`` of PF DEV (``device/virtfnN/net/*``): empty until
        the VF driver has bound."""
        with contextlib.suppress(OSError):
            return sorted(p.name for p in (self.net(dev) / "device" / f"virtfn{vf}" / "net")
                          .iterdir())
        return []

    def kernel_config(self, option: str) -> str | None:
        """``CONFIG_X``'s value in ``/proc/config.gz`` ("y", "m"), "n" when the config
        says "is not set", None when the config cannot be read."""
        try:
            text = gzip.decompress((self.proc / "config.gz").read_bytes()).decode()
        except (OSError, EOFError, UnicodeDecodeError):
            return None
        m = re.search(rf"^{option}=(\S+)$", text, re.M)
        if m:
            return m.group(1)
        return "n"

    def missing(self) -> str:
        """Why this host cannot give a lab VFs (or the capable NICs it has)."""
        capable = self.capable()
        if capable:
            return "SR-IOV capable NICs here: " + ", ".join(
                f"{d} (sriov_totalvfs {n})" for d, n in capable.items())
        parts = ["no SR-IOV capable NIC (no /sys/class/net/*/device/sriov_totalvfs)"]
        iov = self.kernel_config("CONFIG_PCI_IOV")
        if iov == "n":
            parts.append("no PCI IOV (the kernel has CONFIG_PCI_IOV not set)")
        elif iov is None:
            parts.append("PCI IOV unknown (no /proc/config.gz to read CONFIG_PCI_IOV from)")
        sim = self.kernel_config("CONFIG_NETDEVSIM")
        if (self.sys / "bus" / "netdevsim").exists():
            parts.append("netdevsim is loaded but has no device with VFs "
                         "(echo 'ID 1' > /sys/bus/netdevsim/new_device)")
        elif sim == "n":
            parts.append("no netdevsim (CONFIG_NETDEVSIM not set)")
        elif sim is not None:
            parts.append("netdevsim not loaded (modprobe netdevsim)")
        return "this host has " + ", ".join(parts[:-1]) + (" and " if len(parts) > 1 else "") \
            + parts[-1]


def current_host() -> Host:
    """The host the engine acts on (the env variables point tests at a fake tree)."""
    return Host(Path(os.environ.get(ENV_SYSFS_ROOT, "/sys")),
                Path(os.environ.get(ENV_PROCFS_ROOT, "/proc")))


def write_numvfs(host: Host, dev: str, n: int) -> None:
    """``echo N > /sys/class/net/DEV/device/sriov_numvfs``: the kernel's errno (ERANGE,
    EBUSY, ENOENT: the driver has no sriov_configure) raises as ``OSError``."""
    with open(host.numvfs_path(dev), "w") as f:
        f.write(f"{n}\n")


# -- ownership ------------------------------------------------------------------------------
@dataclass
class PfClaim:
    """A lab's hold on a PF: the numvfs to put back and the numvfs it set."""

    pf: str
    original: int
    numvfs: int
    alias: str  # the lab's ownership tag, vnetlab:LAB:RUN

    @property
    def lab_run(self) -> tuple[str, str]:
        _, lab, run = self.alias.split(":", 2)
        return lab, run


def claims_dir() -> Path:
    return runtime.run_dir() / "sriov"


def claim_path(pf: str) -> Path:
    return claims_dir() / f"{pf}.json"


def load_claim(path: Path) -> PfClaim | None:
    try:
        return PfClaim(**json.loads(path.read_text()))
    except (OSError, ValueError, TypeError):
        return None


def claims() -> list[PfClaim]:
    d = claims_dir()
    if not d.is_dir():
        return []
    return [c for p in sorted(d.glob("*.json")) if (c := load_claim(p)) is not None]


def take(claim: PfClaim) -> None:
    """Record the claim before the first write (``O_EXCL``: one lab per PF). A claim of
    the same lab run is replaced; another lab's is refused with EBUSY."""
    claims_dir().mkdir(parents=True, exist_ok=True)
    path = claim_path(claim.pf)
    old = load_claim(path)
    if old is not None and old.alias != claim.alias:
        raise OSError(errno.EBUSY, f"{claim.pf}'s VFs belong to {old.alias} "
                      f"(record {path}); `vnetlab gc` if that lab died")
    tmp = path.with_suffix(f".tmp{os.getpid()}")
    tmp.write_text(json.dumps(asdict(claim)))
    os.replace(tmp, path)


def restore(host: Host, claim: PfClaim) -> str:
    """Put the PF's original numvfs back (through 0, as ``sriov_numvfs_store`` needs),
    drop the claim, and say what was done."""
    now = host.numvfs(claim.pf)
    path = claim_path(claim.pf)
    if now is None:
        path.unlink(missing_ok=True)
        return f"{claim.pf}: gone from this host; claim dropped"
    if now != claim.numvfs:
        path.unlink(missing_ok=True)
        return (f"{claim.pf}: left alone, sriov_numvfs is {now}, not the {claim.numvfs} the "
                f"lab set (changed since); claim dropped")
    if now != claim.original:
        if now != 0:
            write_numvfs(host, claim.pf, 0)
        if claim.original != 0:
            write_numvfs(host, claim.pf, claim.original)
    path.unlink(missing_ok=True)
    return f"{claim.pf}: sriov_numvfs {now} -> {claim.original}"


def restore_lab(alias: str, host: Host | None = None) -> list[str]:
    """Restore every PF the lab run tagged ALIAS holds (teardown of an attached lab, gc)."""
    h = host or current_host()
    out = []
    for c in claims():
        if c.alias == alias:
            try:
                out.append(restore(h, c))
            except OSError as e:
                out.append(f"{c.pf}: could not restore sriov_numvfs {c.original}: "
                           f"{e.strerror}; claim kept for the next gc")
    return out
