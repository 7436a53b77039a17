"""IEEE 802.1D Spanning Tree on the bridge (net/bridge/br_stp.c and br_stp_if.c).

Design note
-----------
One function per kernel function, same names, same order of effects, so a difference
from the kernel is a bug here. The state lives where the kernel keeps it: the bridge
(``bridge_id``, ``designated_root``, ``root_path_cost``, ``root_port``, the timers it
uses now — ``max_age``/``hello_time``/``forward_delay``, learnt from the root — and its
own ``bridge_*`` values, ``topology_change``/``topology_change_detected``) and each port
(``port_id``, ``path_cost``, the ``designated_*`` vector of the best BPDU heard on it,
``topology_change_ack``, ``config_pending`` and its three timers). Ids are the 8 raw
bytes, so ``<`` on them is the kernel's ``memcmp``. Times are ns of virtual time.

The bridge runs this code whether STP is on or off, as the kernel does: with ``stp``
off (``BR_NO_STP``) a port that comes up goes blocking -> forwarding at once, no BPDU
is sent, no timer is armed and no topology change is raised, which is exactly the old
STP-less behaviour. With ``stp`` on (``BR_KERNEL_STP``) a port listens for
forward_delay, learns for forward_delay, then forwards — unless the election blocks it.

Turning STP off (``br_stp_stop``) only changes the mode: port states stay as they are,
as on Linux (a blocked port stays blocked until the next port state selection).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from vnetlab.sim.devices.bridge import fdb as fdbmod
from vnetlab.sim.devices.bridge import stp_bpdu
from vnetlab.sim.devices.bridge.port import (
    BR_STATE_BLOCKING,
    BR_STATE_DISABLED,
    BR_STATE_FORWARDING,
    BR_STATE_LEARNING,
    BR_STATE_LISTENING,
    STATE_NAMES,
)
from vnetlab.wire.stp import ConfigBpdu, bridge_id

if TYPE_CHECKING:
    from vnetlab.sim.devices.bridge.device import BridgeDevice
    from vnetlab.sim.devices.bridge.port import BridgePort
    from vnetlab.sim.netdev import NetDevice

S = 1_000_000_000
#: include/linux/if_bridge.h / br_private.h defaults
BR_DEFAULT_PRIORITY = 0x8000
BR_PORT_DEFAULT_PRIORITY = 0x20
BR_PORT_BITS = 10
BR_MAX_PORT_PRIORITY = (1 << (16 - BR_PORT_BITS)) - 1
BR_HOLD_TIME = 1 * S
#: ``MESSAGE_AGE_INCR``: (HZ / 256) + 1 jiffies (5 ms at HZ=1000)
MESSAGE_AGE_INCR = 5_000_000
#: br_stp_if.c limits (``BR_MIN_*``/``BR_MAX_*``), seconds
BR_MIN_HELLO_TIME, BR_MAX_HELLO_TIME = 1, 10
BR_MIN_FORWARD_DELAY, BR_MAX_FORWARD_DELAY = 2, 30
BR_MIN_MAX_AGE, BR_MAX_MAX_AGE = 6, 40
BR_MIN_PATH_COST, BR_MAX_PATH_COST = 1, 65535

#: ``port_cost``: what ethtool reports as the device's speed (Mb/s), by kind; a kind
#: without ethtool link settings gets the kernel's fallback cost 100
KIND_SPEED: dict[str, int] = {"veth": 10000, "tap": 10, "tun": 10}
_SPEED_COST = {100000: 1, 50000: 1, 40000: 1, 25000: 1, 20000: 1, 10000: 2, 5000: 3,
               2500: 4, 1000: 4, 100: 19, 10: 100}


def port_cost(dev: NetDevice) -> int:
    """``port_cost`` (br_if.c): the 802.1D cost of the port's link speed."""
    speed = KIND_SPEED.get(dev.kind)
    return _SPEED_COST.get(speed, 100) if speed is not None else 100


def br_make_port_id(priority: int, port_no: int) -> int:
    return ((priority << BR_PORT_BITS) | (port_no & ((1 << BR_PORT_BITS) - 1))) & 0xFFFF


# -- br_stp.c ----------------------------------------------------------------------------
def br_set_state(p: BridgePort, state: int) -> None:
    """``br_set_state``; a port leaving learning/forwarding keeps its FDB entries (the
    kernel flushes them only when the port is disabled)."""
    if p.state == state:
        return
    br = p.bridge
    # the bridge keeps a count of its forwarding ports, so its carrier (any port
    # forwarding) is known without a scan of every port on each change
    br.n_forwarding += (state == BR_STATE_FORWARDING) - (p.state == BR_STATE_FORWARDING)
    p.state = state
    if br.stp_log is not None:
        br.stp_log.append((br.sched.now, p.name, STATE_NAMES[state]))


def br_get_port(br: BridgeDevice, port_no: int) -> BridgePort | None:
    for p in br.port_list:
        if p.port_no == port_no:
            return p
    return None


def br_is_root_bridge(br: BridgeDevice) -> bool:
    return br.bridge_id == br.designated_root


def br_is_designated_port(p: BridgePort) -> bool:
    return p.designated_bridge == p.bridge.bridge_id and p.designated_port == p.port_id


def br_should_become_root_port(p: BridgePort, root_port: int) -> bool:
    br = p.bridge
    if p.state == BR_STATE_DISABLED or br_is_designated_port(p):
        return False
    if br.bridge_id <= p.designated_root:
        return False
    if not root_port:
        return True
    rp = br_get_port(br, root_port)
    assert rp is not None
    if p.designated_root != rp.designated_root:
        return p.designated_root < rp.designated_root
    mine, theirs = p.designated_cost + p.path_cost, rp.designated_cost + rp.path_cost
    if mine != theirs:
        return mine < theirs
    if p.designated_bridge != rp.designated_bridge:
        return p.designated_bridge < rp.designated_bridge
    if p.designated_port != rp.designated_port:
        return p.designated_port < rp.designated_port
    return p.port_id < rp.port_id


def br_root_selection(br: BridgeDevice) -> None:
    root_port = 0
    for p in br.port_list:
        if br_should_become_root_port(p, root_port):
            root_port = p.port_no
    br.root_port = root_port
    if not root_port:
        br.designated_root = br.bridge_id
        br.root_path_cost = 0
    else:
        rp = br_get_port(br, root_port)
        assert rp is not None
        br.designated_root = rp.designated_root
        br.root_path_cost = rp.designated_cost + rp.path_cost


def br_become_root_bridge(br: BridgeDevice) -> None:
    br.max_age = br.bridge_max_age
    br.hello_time = br.bridge_hello_time
    br.forward_delay = br.bridge_forward_delay
    br_topology_change_detection(br)
    br.tcn_timer.delete()
    if br.admin_up:
        br_config_bpdu_generation(br)
        br.hello_timer.mod(br.sched.now + br.hello_time)


def br_transmit_config(p: BridgePort) -> None:
    if p.hold_timer.pending():
        p.config_pending = True
        return
    br = p.bridge
    if br_is_root_bridge(br):
        age = 0
    else:
        root = br_get_port(br, br.root_port)
        assert root is not None
        age = br.sched.now - root.designated_age + MESSAGE_AGE_INCR
    bpdu = ConfigBpdu(
        topology_change=br.topology_change, topology_change_ack=p.topology_change_ack,
        root=br.designated_root, root_path_cost=br.root_path_cost, bridge_id=br.bridge_id,
        port_id=p.port_id, message_age=age, max_age=br.max_age, hello_time=br.hello_time,
        forward_delay=br.forward_delay,
    )
    if age < br.max_age:
        stp_bpdu.br_send_config_bpdu(p, bpdu)
        p.topology_change_ack = False
        p.config_pending = False
        if br.stp:
            p.hold_timer.mod(br.sched.now + BR_HOLD_TIME)


def br_record_config_information(p: BridgePort, bpdu: ConfigBpdu) -> None:
    p.designated_root = bpdu.root
    p.designated_cost = bpdu.root_path_cost
    p.designated_bridge = bpdu.bridge_id
    p.designated_port = bpdu.port_id
    now = p.bridge.sched.now
    p.designated_age = now - bpdu.message_age
    p.message_age_timer.mod(now + (bpdu.max_age - bpdu.message_age))


def br_record_config_timeout_values(br: BridgeDevice, bpdu: ConfigBpdu) -> None:
    br.max_age = bpdu.max_age
    br.hello_time = bpdu.hello_time
    br.forward_delay = bpdu.forward_delay
    br_set_topology_change(br, bpdu.topology_change)


def br_transmit_tcn(br: BridgeDevice) -> None:
    p = br_get_port(br, br.root_port)
    if p is not None:
        stp_bpdu.br_send_tcn_bpdu(p)


def br_should_become_designated_port(p: BridgePort) -> bool:
    br = p.bridge
    if br_is_designated_port(p):
        return True
    if p.designated_root != br.designated_root:
        return True
    if br.root_path_cost != p.designated_cost:
        return br.root_path_cost < p.designated_cost
    if br.bridge_id != p.designated_bridge:
        return br.bridge_id < p.designated_bridge
    return p.port_id < p.designated_port


def br_designated_port_selection(br: BridgeDevice) -> None:
    for p in br.port_list:
        if p.state != BR_STATE_DISABLED and br_should_become_designated_port(p):
            br_become_designated_port(p)


def br_supersedes_port_info(p: BridgePort, bpdu: ConfigBpdu) -> bool:
    if bpdu.root != p.designated_root:
        return bpdu.root < p.designated_root
    if bpdu.root_path_cost != p.designated_cost:
        return bpdu.root_path_cost < p.designated_cost
    if bpdu.bridge_id != p.designated_bridge:
        return bpdu.bridge_id < p.designated_bridge
    if bpdu.bridge_id != p.bridge.bridge_id:
        return True
    return bpdu.port_id <= p.designated_port


def br_topology_change_acknowledged(br: BridgeDevice) -> None:
    br.topology_change_detected = False
    br.tcn_timer.delete()


def br_topology_change_detection(br: BridgeDevice) -> None:
    if not br.stp:
        return
    if br_is_root_bridge(br):
        br_set_topology_change(br, True)
        br.topology_change_timer.mod(
            br.sched.now + br.bridge_forward_delay + br.bridge_max_age)
    elif not br.topology_change_detected:
        br_transmit_tcn(br)
        br.tcn_timer.mod(br.sched.now + br.bridge_hello_time)
    br.topology_change_detected = True


def br_config_bpdu_generation(br: BridgeDevice) -> None:
    for p in br.port_list:
        if p.state != BR_STATE_DISABLED and br_is_designated_port(p):
            br_transmit_config(p)


def br_configuration_update(br: BridgeDevice) -> None:
    br_root_selection(br)
    br_designated_port_selection(br)


def br_become_designated_port(p: BridgePort) -> None:
    br = p.bridge
    p.designated_root = br.designated_root
    p.designated_cost = br.root_path_cost
    p.designated_bridge = br.bridge_id
    p.designated_port = p.port_id


def br_make_blocking(p: BridgePort) -> None:
    if p.state in (BR_STATE_DISABLED, BR_STATE_BLOCKING):
        return
    if p.state in (BR_STATE_FORWARDING, BR_STATE_LEARNING):
        br_topology_change_detection(p.bridge)
    br_set_state(p, BR_STATE_BLOCKING)
    p.forward_delay_timer.delete()


def br_make_forwarding(p: BridgePort) -> None:
    br = p.bridge
    if p.state != BR_STATE_BLOCKING:
        return
    if not br.stp or br.forward_delay == 0:
        br_set_state(p, BR_STATE_FORWARDING)
        br_topology_change_detection(br)
        p.forward_delay_timer.delete()
    else:
        br_set_state(p, BR_STATE_LISTENING)
    if br.forward_delay != 0 and br.stp:
        # the kernel arms it with STP off too; expiring on a forwarding port does nothing
        p.forward_delay_timer.mod(br.sched.now + br.forward_delay)


def br_port_state_selection(br: BridgeDevice) -> None:
    for p in br.port_list:
        if p.state == BR_STATE_DISABLED:
            continue
        if p.port_no == br.root_port:
            p.config_pending = False
            p.topology_change_ack = False
            br_make_forwarding(p)
        elif br_is_designated_port(p):
            p.message_age_timer.delete()
            br_make_forwarding(p)
        else:
            p.config_pending = False
            p.topology_change_ack = False
            br_make_blocking(p)
    br.set_carrier(br.n_forwarding > 0)


def br_topology_change_acknowledge(p: BridgePort) -> None:
    p.topology_change_ack = True
    br_transmit_config(p)


def br_received_config_bpdu(p: BridgePort, bpdu: ConfigBpdu) -> None:
    br = p.bridge
    p.rx_bpdu += 1
    was_root = br_is_root_bridge(br)
    if br_supersedes_port_info(p, bpdu):
        br_record_config_information(p, bpdu)
        br_configuration_update(br)
        br_port_state_selection(br)
        if not br_is_root_bridge(br) and was_root:
            br.hello_timer.delete()
            if br.topology_change_detected:
                br.topology_change_timer.delete()
                br_transmit_tcn(br)
                br.tcn_timer.mod(br.sched.now + br.bridge_hello_time)
        if p.port_no == br.root_port:
            br_record_config_timeout_values(br, bpdu)
            br_config_bpdu_generation(br)
            if bpdu.topology_change_ack:
                br_topology_change_acknowledged(br)
    elif br_is_designated_port(p):
        br_transmit_config(p)  # br_reply


def br_received_tcn_bpdu(p: BridgePort) -> None:
    p.rx_tcn += 1
    if br_is_designated_port(p):
        br_topology_change_detection(p.bridge)
        br_topology_change_acknowledge(p)


def br_set_topology_change(br: BridgeDevice, val: bool) -> None:
    """``__br_set_topology_change``: while a topology change lasts, entries age after
    forward_delay (``hold_time``) and ``ageing_time`` reads 2 x forward_delay."""
    if br.stp and br.topology_change != val:
        br.ageing_time_ns = 2 * br.forward_delay if val else br.bridge_ageing_time
        if val:  # the shorter hold applies to what is learnt already
            fdbmod.fdb_arm_cleanup(br, br.sched.now + br.forward_delay)
    br.topology_change = val


def br_is_designated_for_some_port(br: BridgeDevice) -> bool:
    return any(p.state != BR_STATE_DISABLED and p.designated_bridge == br.bridge_id
               for p in br.port_list)


# -- br_stp_if.c -------------------------------------------------------------------------
def br_init_port(p: BridgePort) -> None:
    p.port_id = br_make_port_id(p.priority, p.port_no)
    br_become_designated_port(p)
    br_set_state(p, BR_STATE_BLOCKING)
    p.topology_change_ack = False
    p.config_pending = False


def br_stp_enable_bridge(br: BridgeDevice) -> None:
    if br.stp:
        br.hello_timer.mod(br.sched.now + br.hello_time)
    br_config_bpdu_generation(br)
    for p in br.port_list:
        if p.dev.running:
            br_stp_enable_port(p)


def br_stp_disable_bridge(br: BridgeDevice) -> None:
    for p in br.port_list:
        if p.state != BR_STATE_DISABLED:
            br_stp_disable_port(p)
    br_set_topology_change(br, False)
    br.topology_change_detected = False
    br.hello_timer.delete()
    br.topology_change_timer.delete()
    br.tcn_timer.delete()


def br_stp_enable_port(p: BridgePort) -> None:
    br_init_port(p)
    br_port_state_selection(p.bridge)


def br_stp_disable_port(p: BridgePort) -> None:
    br = p.bridge
    wasroot = br_is_root_bridge(br)
    br_become_designated_port(p)
    br_set_state(p, BR_STATE_DISABLED)
    p.topology_change_ack = False
    p.config_pending = False
    p.message_age_timer.delete()
    p.forward_delay_timer.delete()
    p.hold_timer.delete()
    fdbmod.fdb_flush_dynamic_port(br, p)
    br_configuration_update(br)
    br_port_state_selection(br)
    if br_is_root_bridge(br) and not wasroot:
        br_become_root_bridge(br)


def br_stp_set_enabled(br: BridgeDevice, on: bool) -> None:
    """``br_stp_set_enabled`` -> ``br_stp_start``/``br_stp_stop`` (kernel STP only:
    there is no /sbin/bridge-stp in a lab)."""
    if on == br.stp:
        return
    br.stp = on
    if on:
        if br.admin_up:
            br.hello_timer.mod(br.sched.now + br.hello_time)
        br_port_state_selection(br)


def br_stp_change_bridge_id(br: BridgeDevice, addr: bytes) -> None:
    """``br_stp_change_bridge_id``: the bridge's MAC changed."""
    wasroot = br_is_root_bridge(br)
    old = br.bridge_id
    new = old[:2] + addr
    br.bridge_id = new
    for p in br.port_list:
        if p.designated_bridge[2:] == old[2:]:
            p.designated_bridge = p.designated_bridge[:2] + addr
        if p.designated_root[2:] == old[2:]:
            p.designated_root = p.designated_root[:2] + addr
    br_configuration_update(br)
    br_port_state_selection(br)
    if br_is_root_bridge(br) and not wasroot:
        br_become_root_bridge(br)


def br_stp_set_bridge_priority(br: BridgeDevice, newprio: int) -> None:
    wasroot = br_is_root_bridge(br)
    for p in br.port_list:
        if p.state != BR_STATE_DISABLED and br_is_designated_port(p):
            p.designated_bridge = newprio.to_bytes(2, "big") + p.designated_bridge[2:]
    br.bridge_id = bridge_id(newprio, br.bridge_id[2:])
    br_configuration_update(br)
    br_port_state_selection(br)
    if br_is_root_bridge(br) and not wasroot:
        br_become_root_bridge(br)


def br_stp_set_port_priority(p: BridgePort, newprio: int) -> None:
    new_id = br_make_port_id(newprio, p.port_no)
    if br_is_designated_port(p):
        p.designated_port = new_id
    p.port_id = new_id
    p.priority = newprio
    if p.designated_bridge == p.bridge.bridge_id and p.port_id < p.designated_port:
        br_become_designated_port(p)
        br_port_state_selection(p.bridge)


def br_stp_set_path_cost(p: BridgePort, cost: int) -> None:
    p.admin_cost = True
    p.path_cost = cost
    br_configuration_update(p.bridge)
    br_port_state_selection(p.bridge)


def set_bridge_timer(br: BridgeDevice, what: str, seconds: float) -> None:
    """``br_set_hello_time``/``br_set_max_age``/``br_set_forward_delay``: the bridge's own
    value, and the value in use while it is root."""
    ns = int(round(seconds * S))
    if what == "hello_time":
        br.bridge_hello_time = ns
        if br_is_root_bridge(br):
            br.hello_time = ns
    elif what == "max_age":
        br.bridge_max_age = ns
        if br_is_root_bridge(br):
            br.max_age = ns
    else:
        br.bridge_forward_delay = ns
        if br_is_root_bridge(br):
            br.forward_delay = ns
