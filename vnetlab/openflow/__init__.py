"""OpenFlow as Open vSwitch speaks it: fields, matches, actions, the ovs-ofctl syntax, the
classifier, per-bridge flow tables and the ``ovs-ofctl`` front-end.

Pure: imports only the standard library and ``vnetlab.wire``. The emulated ovs-vswitchd
(``vnetlab.sim.ovs``) and the linux engine build on it.
"""
