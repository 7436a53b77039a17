"""The linux engine's Open vSwitch: each lab node with ``ovs:`` runs its own ovsdb-server
and ovs-vswitchd inside its namespace (``daemons``), configured by the real ``ovs-vsctl``
and ``ovs-ofctl`` (``ops``) from the plan ``plan`` computes."""
