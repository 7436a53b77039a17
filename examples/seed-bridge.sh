# The seed's veth + bridge commands, as typed: `vnetlab script examples/seed-bridge.sh`
ip netns add ns1
ip link add veth0 type veth peer name veth1
ip link set veth1 netns ns1
ip link add name br0 type bridge
ip link set br0 up
ip link set veth0 master br0
ip link set veth0 up
ip addr add 10.0.0.1/24 dev br0
ip netns exec ns1 ip addr add 10.0.0.2/24 dev veth1
ip netns exec ns1 ip link set veth1 up
ping -c 2 10.0.0.2
bridge fdb show br br0
ip -br link
