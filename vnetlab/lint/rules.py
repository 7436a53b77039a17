"""The one table of lint rules: stable id, severity, one-line summary, explanation, fix.

Design note
-----------
A rule id never changes meaning once released (SARIF consumers and ``lint: {expect: ...}``
in lab files refer to it). Ids are ``FAMILY`` + three digits; the family is the module in
``vnetlab.lint`` that implements the rule (one module per family, listed in
``vnetlab.lint.runner.FAMILIES``). Severities follow SARIF's levels: ``error`` (the lab does
not do what it says: a drop, a refusal, a check that cannot pass), ``warning`` (an exposure
or a limit the lab runs into on a real host), ``note``. The summary is the one-line
message; each finding adds the specifics (which devices, which numbers).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning", "note"]
SEVERITIES: tuple[Severity, ...] = ("note", "warning", "error")
#: higher is worse; ``--fail-on`` compares ranks
SEVERITY_RANK: dict[str, int] = {"note": 1, "warning": 2, "error": 3}


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    name: str  # kebab-case, SARIF's reportingDescriptor.name
    severity: Severity
    family: str  # the module implementing it
    summary: str
    explanation: str
    fix: str


def _r(id: str, name: str, severity: Severity, family: str, summary: str,
       explanation: str, fix: str) -> Rule:
    return Rule(id, name, severity, family, summary, explanation, fix)


RULES: dict[str, Rule] = {r.id: r for r in (
    _r("LAB001", "lab-invalid", "error", "runner",
       "the lab does not load: an engine would refuse it",
       "The loader or resolve() refused the lab (a type error, a dangling reference, "
       "something the kernel would answer with an error). Lint still runs the rules it "
       "can on the unresolved lab, but no engine will build it.",
       "fix the problem named; `vnetlab run` prints the same message"),
    _r("LINT001", "expected-finding-missing", "error", "runner",
       "a finding the lab declares in lint.expect does not fire",
       "lint: {expect: [...]} says which findings an example demonstrates. An expected "
       "finding that does not fire means the example no longer shows what it claims, or "
       "the rule changed.",
       "remove the id from lint.expect, or restore what made the rule fire"),
    _r("LINT002", "unknown-rule-id", "error", "runner",
       "lint.expect names a rule id that does not exist",
       "Rule ids are stable; an unknown one is a typo or a rule that was never released.",
       "use an id from `vnetlab lint --list-rules`"),
    _r("MTU001", "overlay-mtu-budget", "error", "mtu",
       "overlay packets exceed the underlay path MTU once encapsulated",
       "VXLAN over IPv4 adds 50 bytes (outer Ethernet 14 + IPv4 20 + UDP 8 + VXLAN 8), "
       "Geneve 50 plus its options, and every 802.1Q tag the overlay carries 4 more. An "
       "inner packet of the overlay's MTU must still fit the smallest MTU on the "
       "underlay's actual path to the remote VTEP; otherwise the outer packet is "
       "fragmented (DF clear: slow, and lost where fragments are filtered) or dropped "
       "(DF set), and bridged senders see their large frames vanish: the seed's "
       "'VXLAN MTU mismatch' failure mode.",
       "lower the overlay MTU to underlay MTU minus the overhead (e.g. mtu: 1450, or bind "
       "VXLAN to its underlay with dev: so Linux computes it), lower the MTU of what "
       "sends into the overlay, or raise the underlay MTU (e.g. 9000)"),
    _r("L2001", "l2-loop-without-stp", "error", "l2loop",
       "layer-2 loop among switches that run no STP",
       "A cycle of bridges (veth pairs, tunnels or OVS patch ports) with STP off on every "
       "bridge of it: one broadcast circulates forever and multiplies at every flood, a "
       "storm that eats a CPU core per bridge (the seed's 'bridge loop' failure mode). "
       "The linux engine refuses to build such a lab without --allow-loops.",
       "enable STP on a bridge of the loop (stp: true), or remove a redundant link"),
    _r("SEC001", "arp-spoofing-exposure", "warning", "security",
       "shared bridge without ARP filtering: a port can poison its neighbours' ARP caches",
       "On a Linux bridge every port can send ARP replies claiming any IP address (the "
       "gateway's, say); the bridge forwards them and the neighbours believe them, so "
       "their traffic goes to the attacker (the seed's ARP-spoofing security note). "
       "Mitigations the lab format knows: ebtables/nft FORWARD rules that pass ARP only "
       "from validated sources, and per-port 'locked' or 'neigh_suppress'.",
       "add ebtables FORWARD rules that accept ARP per port/IP/MAC and drop the rest "
       "(see examples/security-arp-spoofing-mitigated.yaml), or lock the ports"),
    _r("SEC002", "bridge-bypass-exposure", "warning", "security",
       "a process in the bridge's own namespace holds a port and reads flooded traffic",
       "A workload with CAP_NET_ADMIN in the host's namespace (here: a TAP port driven by "
       "a program there) attaches to the bridge and receives what the bridge floods: ARP "
       "broadcasts, unknown unicast — the seed's bridge-bypass security note. Nothing "
       "restricts which ports frames may cross.",
       "allow forwarding only between known ports (ebtables -A FORWARD -i ! veth-+ -j DROP "
       "and the same for -o, see examples/security-bridge-bypass-mitigated.yaml), or mark "
       "the other ports isolated"),
    _r("SEC003", "plaintext-overlay", "warning", "security",
       "overlay traffic crosses a shared underlay unencrypted",
       "VXLAN and Geneve have no encryption and no authentication: anyone else on the "
       "underlay segment reads the tenants' inner packets and can inject forged ones "
       "(the seed's security note on overlays).",
       "encrypt the underlay between the VTEPs (ip xfrm ESP policies, see "
       "examples/security-plaintext-vxlan-esp.yaml, or a VPN), or give the VTEPs an "
       "underlay segment of their own"),
    _r("SRIOV001", "numvfs-above-totalvfs", "error", "sriov",
       "more VFs requested than the device supports",
       "Writing N to sriov_numvfs above sriov_totalvfs fails with ERANGE "
       "(drivers/pci/iov.c sriov_numvfs_store): no VF is created.",
       "set numvfs at most totalvfs"),
    _r("SRIOV002", "vf-rings-oversubscribed", "warning", "sriov",
       "the VFs' rx rings need more descriptors than the PF's pool has",
       "Each VF's rx ring takes descriptors from the PF's shared pool; when the rings "
       "together ask for more than the pool holds, a busy VF's ring runs dry and frames "
       "are dropped at the NIC (rx_missed_errors / rx_no_buffer): the seed's 'VF queue "
       "exhaustion' failure mode.",
       "shrink the rings (ethtool -G) or the number of VFs, or size the pool for them"),
    _r("SRIOV003", "vf-spoofchk-off", "warning", "sriov",
       "spoof checking is off on a VF",
       "With spoofchk off, a VF can send frames with any source MAC through the NIC's "
       "embedded switch, impersonating other VFs or the PF (the seed's SR-IOV security "
       "note: spoofchk on and trust off for VFs given to untrusted workloads). trust on "
       "makes it worse: the VF may also change its MAC and receive in promiscuous mode.",
       "turn spoofchk on (ip link set PF vf N spoofchk on) unless the VF's workload is "
       "trusted, and keep trust off for untrusted VFs"),
    _r("NEIGH001", "neighbour-table-size", "warning", "capacity",
       "the lab's L2 domains can need more neighbour entries than gc_thresh3",
       "The kernel's IPv4 neighbour table is one per host: entries of every namespace "
       "count against net.ipv4.neigh.default.gc_thresh3 (1024 by default). When every "
       "address of an L2 domain talks to every other, a domain of n addresses needs "
       "n*(n-1) entries; past gc_thresh3 new entries fail with 'neighbour table "
       "overflow' and pings fail although the lab is fine (linux engine).",
       "split large L2 domains with routers, or raise gc_thresh3 from the root namespace "
       "(sysctl -w net.ipv4.neigh.default.gc_thresh3=N)"),
    _r("ADDR001", "duplicate-mac", "error", "addressing",
       "two interfaces in one L2 domain have the same MAC",
       "Bridges learn the MAC on whichever port spoke last, so frames for either "
       "interface flap between them.",
       "remove one 'mac:' (vnetlab assigns unique ones) or change it"),
    _r("ADDR002", "duplicate-ip", "error", "addressing",
       "two interfaces in one L2 domain have the same IPv4 address",
       "Both answer ARP for the address; which one a neighbour reaches is a lottery.",
       "give each interface its own address"),
    _r("ROUTE001", "forwarding-off", "error", "routing",
       "a node routes for others but IP forwarding is off",
       "Routes (or a check's path) send packets through this node to other networks, "
       "but with net.ipv4.ip_forward 0 Linux drops packets not addressed to itself.",
       "set sysctls: {net.ipv4.ip_forward: 1} on the node"),
    _r("ROUTE002", "missing-return-route", "error", "routing",
       "a check's destination has no route back to its source",
       "The request reaches the destination, but the reply has no route to the source "
       "address ('Network is unreachable'), so the ping fails although the forward path "
       "works.",
       "add a route on the destination (or a default route) toward the source's network"),
    _r("VLAN001", "trunk-vlan-one-side", "warning", "vlan",
       "a VLAN is allowed tagged on one end of a trunk only",
       "A tagged frame of a VLAN the far end does not allow is dropped by its ingress "
       "filter (bridge vlan filtering) or never reaches a subinterface.",
       "allow the VLAN on both ends (bridge vlan add vid V dev PORT), or on neither"),
    _r("VXLAN001", "vtep-mismatch", "error", "overlay",
       "two VTEPs that point at each other disagree on VNI, port or group",
       "A VXLAN/Geneve device decapsulates only packets of its own VNI on its own UDP "
       "port (and joins only its own multicast group): a mismatch silently drops the "
       "overlay's traffic.",
       "use the same id, dstport (and group) on both VTEPs"),
    _r("MACVLAN001", "macvlan-mode-contradicted", "error", "macvlan",
       "a check expects what the MACVLAN mode does not allow",
       "private: children of one lower never reach each other; vepa: only through an "
       "external switch that hairpins; bridge: directly; no mode lets a child reach its "
       "lower device's own addresses.",
       "change the mode, or the check's expectation"),
    _r("OVS001", "flow-names-missing-port", "error", "ovs",
       "an OpenFlow flow names a port the bridge does not have",
       "ovs-ofctl resolves port names when the flow is added; a name the bridge lacks "
       "makes add-flow fail, and a port number no port has matches or outputs nothing.",
       "fix the port name, or add the port to the bridge"),
    _r("OVS002", "flow-shadowed", "warning", "ovs",
       "an OpenFlow flow can never match: a higher-priority flow covers it",
       "Every packet this flow matches is matched first by a flow of higher priority in "
       "the same table, so its actions never run.",
       "raise its priority above the covering flow, narrow the covering flow, or remove it"),
    _r("OVS003", "secure-no-flow", "error", "ovs",
       "fail_mode secure and no flow matches a check's traffic",
       "In secure fail_mode ovs-vswitchd installs no NORMAL flow: a packet no flow of "
       "table 0 matches is dropped. A check sends such packets through this bridge.",
       "add a flow for the traffic (e.g. priority=0,actions=NORMAL), or use "
       "fail_mode standalone"),
    _r("OVS004", "flow-invalid", "error", "ovs",
       "ovs-ofctl would refuse an OpenFlow flow",
       "The flow text does not parse; ovs-ofctl add-flow prints the error and the lab "
       "cannot be built.",
       "fix the flow (ovs-ofctl's message says what is wrong)"),
)}
