"""The command table: every command a script may run, by name, in one place.

Design note
-----------
``COMMANDS`` maps a command name to its handler ``(interpreter, args, env) -> exit status``:
the network tools (``ip``, ``bridge``), the apps (one module each under
``vnetlab.script.apps``) and the shell builtins (``vnetlab.script.builtins``). Adding a
command is one line here; nothing registers itself on import. ``NOT_YET`` names the tools
the seed text mentions that the emulator does not model, with what to use instead, so a
script says "not supported yet" rather than "command not found". Only the commands in
``BACKGROUND`` keep running after ``&`` (a capture); any other runs to completion first.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from vnetlab.script import builtins
from vnetlab.script.apps.arping import run_arping
from vnetlab.script.apps.ebtables import run_ebtables
from vnetlab.script.apps.nft import run_nft
from vnetlab.script.apps.ovs import run_ovs_appctl, run_ovs_dpctl, run_ovs_ofctl, run_ovs_vsctl
from vnetlab.script.apps.ping import run_ping
from vnetlab.script.apps.sleep import run_sleep
from vnetlab.script.apps.sysctl import run_sysctl
from vnetlab.script.apps.tc import run_tc
from vnetlab.script.apps.tcpdump import Capture, run_tcpdump
from vnetlab.script.args import Env
from vnetlab.script.bridge import run_bridge
from vnetlab.script.errors import ScriptError
from vnetlab.script.ip import run_ip

if TYPE_CHECKING:
    from vnetlab.script.interp import Interpreter

Handler = Callable[["Interpreter", list[str], Env], int]

#: tools the seed mentions that vnetlab does not emulate yet, with what to use instead
NOT_YET: dict[str, str] = {
    "ethtool": "no NIC offloads or driver statistics in the emulator; see ip -s link",
    "iperf3": "no throughput app in the emulator yet",
    "arptables": "ARP filtering is not in the emulator yet",
    "iptables": "netfilter is not in the emulator",
    "qemu": "virtual machines are out of scope; use a TAP device and a namespace",
    "nsenter": "use 'ip netns exec NS CMD'",
}

#: the commands that keep running in the background after ``&``
BACKGROUND = frozenset({"tcpdump"})


#: how deep ``ip netns exec NS ip netns exec ...`` may nest (each level is a Python call)
MAX_EXEC_DEPTH = 32


def _ip(it: Interpreter, args: list[str], env: Env) -> int:
    def run_sub(argv: list[str], ns: str) -> int:  # ip netns exec NS CMD ...
        if it.exec_depth >= MAX_EXEC_DEPTH:
            raise env.fail(f"vnetlab: ip netns exec nested more than {MAX_EXEC_DEPTH} deep",
                           rc=2)
        it.exec_depth += 1
        try:
            return it.dispatch(argv, it.env(ns, env.out))
        finally:
            it.exec_depth -= 1

    return run_ip(args, env, run_sub)


def _bridge(it: Interpreter, args: list[str], env: Env) -> int:
    return run_bridge(args, env)


def _ping(it: Interpreter, args: list[str], env: Env) -> int:
    return run_ping(args, env)


def _ping6(it: Interpreter, args: list[str], env: Env) -> int:
    """iputils' ``ping6`` is ``ping -6``; its messages name it ``ping6:`` (argv[0])."""
    def rename(s: str) -> str:
        return "ping6:" + s[len("ping:"):] if s.startswith("ping:") else s

    err = env.err
    env.err = lambda s: err(rename(s))
    try:
        return run_ping(["-6", *args], env)
    except ScriptError as e:
        e.message = rename(e.message)
        raise
    finally:
        env.err = err


def _arping(it: Interpreter, args: list[str], env: Env) -> int:
    return run_arping(args, env)


def _tcpdump(it: Interpreter, args: list[str], env: Env) -> int:
    res = run_tcpdump(args, env, env.background)
    if isinstance(res, Capture):
        it.start_job(res, env)
        return 0
    return res


def _sleep(it: Interpreter, args: list[str], env: Env) -> int:
    return run_sleep(args, env)


def _sysctl(it: Interpreter, args: list[str], env: Env) -> int:
    return run_sysctl(args, env)


def _ovs_vsctl(it: Interpreter, args: list[str], env: Env) -> int:
    return run_ovs_vsctl(args, env)


def _ovs_ofctl(it: Interpreter, args: list[str], env: Env) -> int:
    return run_ovs_ofctl(args, env)


def _ovs_appctl(it: Interpreter, args: list[str], env: Env) -> int:
    return run_ovs_appctl(args, env)


def _ovs_dpctl(it: Interpreter, args: list[str], env: Env) -> int:
    return run_ovs_dpctl(args, env)


COMMANDS: dict[str, Handler] = {
    "ip": _ip,
    "bridge": _bridge,
    "ping": _ping,
    "ping6": _ping6,
    "arping": _arping,
    "tcpdump": _tcpdump,
    "sleep": _sleep,
    "sysctl": _sysctl,
    "ebtables": lambda it, args, env: run_ebtables(args, env),
    "nft": lambda it, args, env: run_nft(args, env),
    "tc": lambda it, args, env: run_tc(args, env),
    "ovs-vsctl": _ovs_vsctl,
    "ovs-ofctl": _ovs_ofctl,
    "ovs-appctl": _ovs_appctl,
    "ovs-dpctl": _ovs_dpctl,
    "echo": builtins.echo,
    "set": builtins.set_,
    "exit": builtins.exit_,
    "cat": builtins.cat,
    "kill": builtins.kill,
    "wait": builtins.wait,
    "jobs": builtins.jobs,
    "modprobe": builtins.modprobe,
    "export": builtins.export,
    "true": builtins.true,
    ":": builtins.true,
    "false": builtins.false,
    "whoami": builtins.whoami,
    "dmesg": builtins.dmesg,
    "unset": builtins.unset,
}
