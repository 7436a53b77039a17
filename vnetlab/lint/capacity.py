"""NEIGH001: the lab's neighbour-table demand against the host's gc_thresh3.

Design note: the kernel's IPv4 neighbour table (``arp_tbl``, net/core/neighbour.c) is one
per host, shared by every namespace, and refuses new entries past ``gc_thresh3`` once
forced gc frees nothing ("neighbour table overflow"). ``vnetlab.kernel.limits`` estimates
the entries a lab's *pings* need when it runs; lint looks at the topology instead: in an
L2 domain of n addresses whose owners all talk to each other, every address can hold an
entry for every other, n·(n−1) in all. The threshold comes from ``LintOptions`` (the
CLI's ``--gc-thresh3``, default the kernel's 1024): lint never reads the host.
"""

from __future__ import annotations

from vnetlab.lint.context import Context
from vnetlab.model.order import Key


def check(ctx: Context) -> None:
    v = ctx.view
    per_domain: dict[Key, list[str]] = {}
    for a in v.addrs:
        per_domain.setdefault(v.domain((a.node, a.ifname)), []).append(f"{a.node}:{a.ifname}")
    # every address may hold an entry for every address of *another* node in its domain
    need = {dom: sum(1 for x in who for y in who if x.split(":")[0] != y.split(":")[0])
            for dom, who in per_domain.items()}
    total = sum(need.values())
    limit = ctx.options.gc_thresh3
    if total <= limit or not need:
        return
    big = max(need, key=lambda d: need[d])
    first = per_domain[big][0].split(":", 1)
    ctx.add("NEIGH001", v.seg((first[0], first[1])),
            f"the lab's L2 domains can need {total} IPv4 neighbour entries (the largest: "
            f"{len(per_domain[big])} addresses, {need[big]} entries, around {first[0]}:"
            f"{first[1]}), above gc_thresh3 {limit}, which every namespace of the host "
            "shares (linux engine): new entries would fail with 'neighbour table overflow'",
            "split the domain with routers, or raise net.ipv4.neigh.default.gc_thresh3 "
            f"to at least {total + 16} from the root namespace")
