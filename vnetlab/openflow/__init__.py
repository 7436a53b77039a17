"""OpenFlow as Open vSwitch speaks it: fields, matches, actions, the ovs-ofctl syntax, the
classifier, per-bridge flow tables and the ``ovs-ofctl`` front-end.

Pure: imports only the standard library and ``vnetlab.wire``. The emulated ovs-vswitchd
(``vnetlab.sim.ovs``) and the linux engine build on it. The map, in OVS's own terms:

- ``fields`` (``meta-flow``): the named fields over ``struct flow`` members;
- ``flow`` (``flow.c``): frame -> flow key, and the datapath's symmetric hashes;
- ``match`` (``match.c``): values under masks, ``match_format``;
- ``actions`` (``ofp-actions.c``): one dataclass per action, ``format_actions``, and what the
  OpenFlow 1.0 encoding leaves of them (``through_of10``);
- ``ofctl_scan``/``ofctl_values``/``ofctl_actions``/``ofctl_learn``/``ofctl_parse``: the
  ``ovs-ofctl`` flow, action, learn and group syntax with OVS's error messages
  (``OfctlError``);
- ``classifier`` (``classifier.c``): subtables per mask, staged lookup, prefix and ports
  tries, un-wildcarding;
- ``ofproto_tables`` (``ofproto.c``): the tables and groups of one bridge, counters,
  timeouts, learned flows, select-group dp_hash tables;
- ``ofctl``/``ofctl_print``/``ofctl_of13`` (``ovs-ofctl.c``, ``ofp-print.c``): the
  ``ovs-ofctl`` command over any ``OfctlBridge``;
- ``cmd``: ``CmdResult``, what every emulated OVS tool returns.
"""
