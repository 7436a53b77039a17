"""SR-IOV claims on teardown: the physical functions a lab took, given back.

Design note
-----------
A lab with ``nic`` VFs claims each PF (``kinds.sriov_ops``: its original ``sriov_numvfs``
recorded by ``sriov_host.take``) and the plan registers the restore among its cleanups, so
an engine that built the lab gives them back in ``apply.destroy``. An engine that only
attached to a lab another process built (``vnetlab down``) has no plan: it restores every
PF whose claim record carries the lab's alias (``sriov_host.restore_lab``,
``drivers/pci/iov.c sriov_numvfs_store`` with the original count).
"""

from __future__ import annotations

from vnetlab.kernel import runtime
from vnetlab.kernel.kinds import sriov_host
from vnetlab.kernel.ops.base import Realized, alias_for


def release_claims(realized: Realized | None, rec: runtime.LabRecord) -> None:
    """Restore the PFs an attached lab claimed (with handles, ``destroy`` does it)."""
    if realized is None:
        sriov_host.restore_lab(alias_for(rec.lab, rec.run_id))
