"""SR-IOV in the emulator: a physical NIC port (PF), its VFs, the embedded switch (VEB),
the descriptor pool and rings, and the cable between two ports.

Modules: ``pf`` (``PfDevice``, ``SriovState``: sysfs ``sriov_numvfs`` and
``ip link set PF vf N ...``), ``vf`` (``VfDevice``, ``VfConfig``), ``eswitch`` (the VEB:
switching by destination MAC + VLAN, port VLAN tag/untag, spoof checking, trust,
rate shaping), ``queues`` (descriptor pool and rx rings), ``cable`` (line rate).
Everything here is modelled from driver documentation and source (ixgbe, i40e, mlx5),
not checked against a kernel: this machine has no SR-IOV NIC (docs/sriov.md).
"""
