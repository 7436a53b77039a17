"""The kernel operations a plan is made of: one iproute2 command and one request each.

Design note
-----------
An ``Op`` is a frozen value naming the namespace it acts in. Its ``shell()`` prints the
exact ``ip``/``bridge``/``sysctl`` command a user would type for it and its ``apply()`` sends
the rtnetlink request (or sysctl write) the same command makes, side by side on one class so
the two cannot drift. ``base`` holds what every op shares (the ``Op`` and ``NewLink``
classes, the live handles they apply to); the generic ops are grouped by the command they
mirror: ``netns`` (``ip netns``, ``sysctl``), ``link`` (``ip link set``), ``brport``
(``bridge link|fdb|vlan``), ``ipv4`` and ``ipv6`` (``ip addr``, ``ip route``; the wait
for DAD). The ops that create a
device of one kind live with that kind in ``vnetlab.kernel.kinds``.
"""
