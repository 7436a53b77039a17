#!/bin/sh
# Collect what `vnetlab snapshot --from-dir DIR` reads, on the host to analyse (as root).
# Read only: every command below only shows. Usage: collect-snapshot.sh DIR [NS ...]
# Without NS: the root namespace (DIR/host) and every named one (ip netns list).
# Needs iproute2 (ip, bridge); Open vSwitch is read when ovs-vsctl answers, ebtables when
# ebtables-save exists, tc qdiscs when tc exists. SR-IOV and NIC speeds come from sysfs
# (sriov.json: PF sriov_totalvfs/numvfs, a VF's device/physfn and the PF's virtfnN). IPsec only with XFRM=1: `ip xfrm state` prints the keys.
set -u
sriov_json() {  # PCI network functions from sysfs (SYSFS: another root)
    sep=""; printf '['
    for d in "${SYSFS:-/sys}"/class/net/*; do
        [ -e "$d/device" ] || continue
        pci=$(basename "$(readlink "$d/device")")
        printf '%s{"ifname":"%s","pci":"%s"' "$sep" "${d##*/}" "$pci"; sep=","
        s=$(cat "$d/speed" 2>/dev/null) && [ -n "$s" ] && printf ',"speed":%s' "$s"
        if [ -r "$d/device/sriov_totalvfs" ]; then
            printf ',"sriov_totalvfs":%s,"sriov_numvfs":%s' \
                "$(cat "$d/device/sriov_totalvfs")" "$(cat "$d/device/sriov_numvfs")"
        fi
        if [ -e "$d/device/physfn" ]; then
            printf ',"physfn":"%s"' "$(basename "$(readlink "$d/device/physfn")")"
            for v in "$d"/device/physfn/virtfn*; do
                if [ "$(basename "$(readlink "$v")")" = "$pci" ]; then
                    printf ',"vf":%s' "${v##*virtfn}"
                fi
            done
        fi
        printf '}'
    done
    printf ']\n'
}
# inside a namespace (the script runs itself there): only the sysfs part
if [ "${1:-}" = --sriov-json ]; then sriov_json; exit 0; fi
dir=${1:?usage: collect-snapshot.sh DIR [NS ...]}
shift
if [ $# -eq 0 ]; then
    set -- host $(ip netns list | cut -d' ' -f1)
fi
for ns in "$@"; do
    out="$dir/$ns"
    mkdir -p "$out"
    if [ "$ns" = host ]; then n=""; x=""; else n="-n $ns"; x="ip netns exec $ns"; fi
    ip $n -j -d link show          > "$out/link.json"
    ip $n -j addr show             > "$out/addr.json"
    ip $n -j route show table all  > "$out/route.json"
    ip $n -j neigh show            > "$out/neigh.json"
    ip $n -j netns list-id         > "$out/nsid.json"
    bridge $n -j fdb show          > "$out/fdb.json"
    bridge $n -j vlan show         > "$out/vlan.json"
    bridge $n -j -d link show      > "$out/brlink.json"
    $x sysctl -n net.ipv4.ip_forward > "$out/ip_forward"
    if command -v tc >/dev/null; then $x tc -j qdisc show > "$out/qdisc.json"; fi
    # `ip netns exec` mounts the namespace's own /sys: its class/net lists its devices
    if [ -z "$x" ]; then sriov_json > "$out/sriov.json"
    else $x sh "$0" --sriov-json > "$out/sriov.json"; fi
    if command -v ebtables-save >/dev/null; then $x ebtables-save > "$out/ebtables.txt"; fi
    if [ "${XFRM:-0}" = 1 ]; then
        ip $n xfrm state > "$out/xfrm-state.txt"
        ip $n xfrm policy > "$out/xfrm-policy.txt"
    fi
    # Open vSwitch: the default database, or OVS_RUNDIR's (vnetlab labs: one per node)
    if command -v ovs-vsctl >/dev/null && $x ovs-vsctl --timeout=5 show >/dev/null 2>&1; then
        mkdir -p "$out/ovs"
        $x ovs-vsctl show > "$out/ovs/show.txt"
        for t in Bridge Port Interface Mirror; do
            $x ovs-vsctl --format=json list $t > "$out/ovs/$t.json"
        done
        for br in $($x ovs-vsctl list-br); do
            $x ovs-ofctl --names dump-flows "$br" > "$out/ovs/flows-$br.txt"
            $x ovs-ofctl -O OpenFlow15 --names dump-groups "$br" > "$out/ovs/groups-$br.txt" 2>/dev/null
        done
    fi
done
echo "collected $# namespace(s) into $dir; analyse anywhere: vnetlab snapshot --from-dir $dir -o lab.yaml" >&2
