"""STP timers on virtual time (net/bridge/br_stp_timer.c).

Design note
-----------
``StpTimer`` is the kernel's ``timer_list`` as br_stp uses it: ``mod`` (``mod_timer``:
re-arm, cancelling the pending expiry), ``delete`` (``del_timer``) and ``pending``
(``timer_pending``). A cancelled expiry stays in the scheduler's queue and does nothing
when its time comes (``Timer.cancel``), so re-arming costs one event.

The ``*_expired`` functions mirror the kernel's handlers one for one: hello (a root
bridge sends config BPDUs every hello_time), message age (the designated bridge on a
port went silent: take the port over), forward delay (listening -> learning ->
forwarding, a topology change when the bridge is designated somewhere), TCN (repeat the
topology change notification until acknowledged), topology change (the root clears
the TC flag after forward_delay + max_age) and hold (a config BPDU held back by the
1 s hold time goes out now). The kernel's ``round_jiffies`` on the hello and hold
timers (whole-second alignment) is not modelled: expiries are exact.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from vnetlab.sim.clock import Scheduler, Timer
from vnetlab.sim.devices.bridge import stp
from vnetlab.sim.devices.bridge.port import (
    BR_STATE_DISABLED,
    BR_STATE_FORWARDING,
    BR_STATE_LEARNING,
    BR_STATE_LISTENING,
)

if TYPE_CHECKING:
    from vnetlab.sim.devices.bridge.device import BridgeDevice
    from vnetlab.sim.devices.bridge.port import BridgePort


class StpTimer:
    """A ``timer_list``: at most one pending expiry at a time."""

    __slots__ = ("sched", "fn", "_t")

    def __init__(self, sched: Scheduler, fn: Callable[[], object]) -> None:
        self.sched = sched
        self.fn = fn
        self._t: Timer | None = None

    def mod(self, expires: int) -> None:
        """``mod_timer(timer, expires)`` (absolute virtual time in ns)."""
        if self._t is not None:
            self._t.cancel()
        self._t = Timer(self.fn, max(expires, self.sched.now))
        self.sched.at(self._t.expires, self._t.fire)

    def delete(self) -> None:
        """``del_timer``."""
        if self._t is not None:
            self._t.cancel()
            self._t = None

    def pending(self) -> bool:
        """``timer_pending``."""
        return self._t is not None and not self._t.cancelled

    def remaining(self) -> int:
        """What ``ip -d link`` shows as the timer's value (ns left; 0 when idle)."""
        if not self.pending():
            return 0
        assert self._t is not None
        return max(0, self._t.expires - self.sched.now)


def hello_timer_expired(br: BridgeDevice) -> None:
    """``br_hello_timer_expired``."""
    if br.admin_up:
        stp.br_config_bpdu_generation(br)
        if br.stp:
            br.hello_timer.mod(br.sched.now + br.hello_time)


def message_age_timer_expired(p: BridgePort) -> None:
    """``br_message_age_timer_expired``: the neighbour on this port is lost."""
    if p.state == BR_STATE_DISABLED:
        return
    br = p.bridge
    was_root = stp.br_is_root_bridge(br)
    stp.br_become_designated_port(p)
    stp.br_configuration_update(br)
    stp.br_port_state_selection(br)
    if stp.br_is_root_bridge(br) and not was_root:
        stp.br_become_root_bridge(br)


def forward_delay_timer_expired(p: BridgePort) -> None:
    """``br_forward_delay_timer_expired``."""
    br = p.bridge
    if p.state == BR_STATE_LISTENING:
        stp.br_set_state(p, BR_STATE_LEARNING)
        p.forward_delay_timer.mod(br.sched.now + br.forward_delay)
    elif p.state == BR_STATE_LEARNING:
        stp.br_set_state(p, BR_STATE_FORWARDING)
        if stp.br_is_designated_for_some_port(br):
            stp.br_topology_change_detection(br)
        br.set_carrier(True)


def tcn_timer_expired(br: BridgeDevice) -> None:
    """``br_tcn_timer_expired``: repeat the TCN every hello_time until acknowledged."""
    if not stp.br_is_root_bridge(br) and br.admin_up:
        stp.br_transmit_tcn(br)
        br.tcn_timer.mod(br.sched.now + br.bridge_hello_time)


def topology_change_timer_expired(br: BridgeDevice) -> None:
    """``br_topology_change_timer_expired``."""
    br.topology_change_detected = False
    stp.br_set_topology_change(br, False)


def hold_timer_expired(p: BridgePort) -> None:
    """``br_hold_timer_expired``."""
    if p.config_pending:
        stp.br_transmit_config(p)
