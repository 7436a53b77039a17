"""``ovs-vsctl``, ``ovs-ofctl``, ``ovs-appctl`` and ``ovs-dpctl`` in a script.

Design note
-----------
Every namespace has its own emulated ovsdb-server + ovs-vswitchd (``vnetlab.sim.ovs``'s
``Vswitchd``), made on the first OVS command run there (or by the emulator's build when a
lab node has ``ovs:``), so ``ip netns exec ns1 ovs-vsctl show`` sees ns1's database and no
other; a namespace deleted with ``ip netns del`` takes its daemons along. The four tools
are thin: argv goes unchanged to the daemon's front-ends (``Vswitchd.vsctl``/``ofctl``/
``appctl``/``dpctl``: ``vnetlab.ovsdb.vsctl.run_vsctl`` then reconfigure,
``vnetlab.openflow.ofctl.run_ofctl`` then revalidate, ``vnetlab.sim.ovs.appctl``), all on
the world's virtual clock, and their stdout, stderr and exit status reach the script as
the real tools' would: nothing is reworded, so ``set -e`` and ``$?`` see OVS's own exit
codes.

A file an OVS tool reads (``ovs-ofctl add-flows BR FILE``) is a path of the script, so it
goes through ``World.path`` like ``tcpdump -w`` and ``>``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from vnetlab.script.args import Env
from vnetlab.sim.ovs.build import vswitchd_of

if TYPE_CHECKING:
    pass

#: ovs-ofctl commands whose last argument is a file the tool reads
_FILE_COMMANDS = frozenset({"add-flows", "add-groups", "replace-flows", "diff-flows"})
#: ovs-ofctl options that take a separate argument (``-O OpenFlow13``)
_OFCTL_ARG_OPTS = frozenset({"-O", "--protocols", "-F", "--flow-format", "-P",
                             "--packet-in-format", "-t", "--timeout"})


class ToolResult(Protocol):
    """What every front-end returns (``vnetlab.openflow.cmd.CmdResult``'s shape)."""

    @property
    def stdout(self) -> str: ...

    @property
    def stderr(self) -> str: ...

    @property
    def status(self) -> int: ...


def emit(res: ToolResult, env: Env) -> int:
    """What the tool printed, line by line, and its exit status, unchanged."""
    for text, sink in ((res.stdout, env.out), (res.stderr, env.err)):
        if text:
            for line in text[:-1].split("\n") if text.endswith("\n") else text.split("\n"):
                sink(line)
    return res.status


def run_ovs_vsctl(argv: list[str], env: Env) -> int:
    return emit(vswitchd_of(env.ns).vsctl(list(argv)), env)


def _file_args(argv: list[str], env: Env) -> list[str]:
    """``ovs-ofctl add-flows BR FILE``: FILE is a path of the script (``World.path``)."""
    args = list(argv)
    i = 0
    while i < len(args) and args[i].startswith("-") and args[i] != "-":
        i += 2 if args[i] in _OFCTL_ARG_OPTS else 1
    if i < len(args) and args[i] in _FILE_COMMANDS:
        for j in range(i + 2, len(args)):
            if args[j] != "-":
                args[j] = str(env.world.path(args[j]))
    return args


def run_ovs_ofctl(argv: list[str], env: Env) -> int:
    return emit(vswitchd_of(env.ns).ofctl(_file_args(argv, env)), env)


def run_ovs_appctl(argv: list[str], env: Env) -> int:
    return emit(vswitchd_of(env.ns).appctl(list(argv)), env)


def run_ovs_dpctl(argv: list[str], env: Env) -> int:
    return emit(vswitchd_of(env.ns).dpctl(list(argv)), env)


#: the completion words of each tool (``vnetlab shell``'s Tab)
COMPLETIONS: dict[str, list[str]] = {
    "ovs-vsctl": ["show", "add-br", "del-br", "list-br", "br-exists", "add-port",
                  "del-port", "list-ports", "port-to-br", "iface-to-br", "list-ifaces",
                  "set", "get", "list", "find", "clear", "add", "remove", "create",
                  "destroy", "--may-exist", "--if-exists", "--columns=", "--bare", "--",
                  "Open_vSwitch", "Bridge", "Port", "Interface", "Mirror", "Flow_Table"],
    "ovs-ofctl": ["show", "dump-flows", "add-flow", "add-flows", "mod-flows", "del-flows",
                  "dump-ports", "add-group", "mod-group", "del-groups", "dump-groups",
                  "dump-tables", "--names", "--no-names", "--no-stats", "--strict", "-O"],
    "ovs-appctl": ["ofproto/trace", "fdb/show", "fdb/flush", "dpif/show",
                   "dpif/dump-flows", "dpctl/show", "dpctl/dump-flows", "tnl/neigh/set"],
    "ovs-dpctl": ["show", "dump-flows"],
}


__all__ = ["COMPLETIONS", "run_ovs_appctl", "run_ovs_dpctl", "run_ovs_ofctl",
           "run_ovs_vsctl", "vswitchd_of"]
