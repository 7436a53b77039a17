"""``arping`` (iputils) in a script: ARP requests from the namespace's stack, replies
caught on the device.

Design note
-----------
The requests go out through the stack's own ``arp_send_request`` (so the neighbour table
sees them as the kernel's would); the replies are read off a tap on the device, as
arping's packet socket reads them, one second of virtual time per probe. ``-f`` stops at
the first reply. Duplicate address detection and unsolicited modes (``-D``, ``-U``,
``-A``) are not modelled and say so.
"""

from __future__ import annotations

from vnetlab.script.args import Env
from vnetlab.script.errors import NotSupportedYet
from vnetlab.sim.clock import MS, S
from vnetlab.sim.netdev import NetDevice
from vnetlab.sim.stack.addr import ip_int, ip_str
from vnetlab.sim.stack.arp import arp_send_request
from vnetlab.wire.arp import ARPOP_REPLY, ArpPacket
from vnetlab.wire.mac import mac_to_str


def _device(env: Env, iface: str | None, tip: int) -> NetDevice:
    """``-I DEV``, or the device the route to the target leaves by."""
    if iface is None:
        try:
            return env.ns.stack.route_output(tip).dev
        except OSError:
            raise env.fail("arping: Suitable device could not be determined. Please, use "
                           "option -I.", rc=2) from None
    found = env.ns.devices.get(iface)
    if found is None:
        raise env.fail(f"arping: Device {iface} not available.", rc=2)
    return found


def run_arping(argv: list[str], env: Env) -> int:
    count, iface, target, quiet, first = 1, None, None, False, False
    src = None
    i = 0
    while i < len(argv):
        w = argv[i]
        if w in ("-c", "-I", "-w", "-W", "-s", "-i") and i + 1 < len(argv):
            v = argv[i + 1]
            if w == "-c":
                if not v.isdigit():
                    raise env.fail(f"arping: invalid argument: '{v}'", rc=2)
                count = int(v)
            elif w == "-I":
                iface = v
            elif w == "-s":
                src = v
            i += 2
            continue
        if w == "-q":
            quiet = True
        elif w == "-f":
            first = True
        elif w in ("-D", "-U", "-A"):
            raise NotSupportedYet(f"arping {w}", lineno=env.lineno)
        elif w in ("-b", "-0"):
            pass
        elif w.startswith("-"):
            raise env.fail(f"arping: invalid option -- '{w.lstrip('-')}'", rc=2)
        else:
            target = w
        i += 1
    if target is None:
        raise env.fail("arping: usage error: no destination address", rc=2)
    try:
        tip = ip_int(target)
    except ValueError:
        raise env.fail(f"arping: unknown host {target}", rc=2) from None
    stack = env.ns.stack
    dev = _device(env, iface, tip)
    if not dev.admin_up:
        raise env.fail(f"arping: Interface \"{dev.name}\" is down", rc=2)
    sip = ip_int(src) if src else stack.select_addr(dev, tip)
    if sip is None:
        raise env.fail("arping: no source address in not-DAD mode", rc=2)
    sched = env.world.sched
    replies: list[tuple[int, bytes]] = []
    sent_at: list[int] = []

    def tap(now: int, frame: bytes) -> None:
        if frame[12:14] != b"\x08\x06" or frame[0:6] != dev.mac:
            return
        try:
            arp = ArpPacket.parse(frame[14:])
        except Exception:  # noqa: BLE001 - not a frame for us
            return
        if arp.op == ARPOP_REPLY and int(arp.spa) == tip and int(arp.tpa) == sip:
            replies.append((now, arp.sha))
            if not quiet:
                rtt = (now - sent_at[-1]) / MS if sent_at else 0.0
                env.out(f"Unicast reply from {target} [{mac_to_str(arp.sha).upper()}]  "
                        f"{rtt:.3f}ms")

    env.out(f"ARPING {target} from {ip_str(sip)} {dev.name}")
    dev.add_tap(tap)
    try:
        sent = 0
        for _ in range(count):
            sent_at.append(sched.now)
            arp_send_request(dev, sip, tip, None, None)
            sent += 1
            sched.run(until=sched.now + S)
            if first and replies:
                break
    finally:
        dev.remove_tap(tap)
    env.out(f"Sent {sent} probes ({sent} broadcast(s))")
    env.out(f"Received {len(replies)} response(s)")
    return 0 if replies else 1
