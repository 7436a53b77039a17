"""The Linux bridge (net/bridge), split by concern like the original:

- ``device``  — br_device.c / br_if.c: the bridge net_device, adding and removing ports;
- ``port``    — net_bridge_port: per-port flags and STP-less port state;
- ``fdb``     — br_fdb.c: learning, lookups, static entries and ageing;
- ``input``   — br_input.c: ``br_handle_frame`` and ``br_pass_frame_up``;
- ``forward`` — br_forward.c: ``should_deliver``, ``br_forward`` and ``br_flood``.
- ``vlan``    — br_vlan.c: VLAN filtering (ingress admission, (MAC, VID) learning, egress
  tagging/untagging, flooding confined to the VLAN); ``port.VlanGroup`` holds the lists.
"""

from vnetlab.sim.devices.bridge.device import BridgeDevice
from vnetlab.sim.devices.bridge.port import BridgePort

__all__ = ["BridgeDevice", "BridgePort"]
