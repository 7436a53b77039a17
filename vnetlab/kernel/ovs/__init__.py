"""The linux engine's Open vSwitch: each lab node with ``ovs:`` runs its own ovsdb-server
and ovs-vswitchd inside its namespace (``daemons``), configured by the real ``ovs-vsctl``
and ``ovs-ofctl`` (``ops``) in the order ``plan`` gives; ``tunnels`` knows what the
userspace datapath needs of a tunnel port.

Why ``ovs-vsctl`` and not ovsdbapp: the plan prints each step as the command a user would
type, and with ``ovs-vsctl`` the printed line *is* the argv that runs — the same list
``vnetlab.ovsdb.commands`` gives the emulator's own ovs-vsctl and ``vnetlab export``, so
the engines and the printout cannot drift apart. ``ovs-vsctl`` also waits until
ovs-vswitchd has applied each change (``next_cfg``/``cur_cfg``), so the next step finds
the devices it made (ovsdbapp would need that wait rebuilt), its errors are Open vSwitch's
own words, and it adds no Python dependency (ovsdbapp brings the ``ovs`` bindings and
more). The cost is a fork per command, about 10 ms: a bridge of a lab is built in a few
hundred milliseconds.
"""
