# The seed's Open vSwitch commands, as typed: `vnetlab script examples/seed-ovs.sh`
# (eth0 stands for the host's physical NIC: here one end of a veth pair to a peer namespace,
# made below, so the emulated host starts without an eth0 of its own)
# vnetlab: bare
ip netns add peer
ip link add eth0 type veth peer name eth0 netns peer
ip tuntap add dev tap-vm1 mode tap
# Create OVS bridge
ovs-vsctl add-br ovs-br0
# Add physical NIC and VM tap interface
ovs-vsctl add-port ovs-br0 eth0
ovs-vsctl add-port ovs-br0 tap-vm1
# Add VXLAN tunnel port
ovs-vsctl add-port ovs-br0 vxlan0 -- set Interface vxlan0 \
type=vxlan options:remote_ip=10.0.0.2 options:key=100
# OpenFlow rule: forward traffic from VM to VXLAN port
ovs-ofctl add-flow ovs-br0 "in_port=tap-vm1,actions=output:vxlan0"
# Show datapath flows (kernel cache)
ovs-dpctl dump-flows
# Show OpenFlow flows
ovs-ofctl dump-flows ovs-br0
# OVS troubleshooting
ovs-appctl ofproto/trace ovs-br0 in_port=1,dl_dst=ff:ff:ff:ff:ff:ff
ovs-dpctl show
ovs-vsctl show
