"""Scripts of the real commands (``ip``, ``bridge``, ``ping``, ``tcpdump`` ...) on the emulator.

    from vnetlab.script import run_script
    rc, it = run_script(open("setup.sh").read())
    state = it.world.observe()

Modules: ``lexer`` (the shell subset), ``interp`` (the interpreter), ``commands`` (the one
table of command names), ``builtins`` and ``filters`` (the shell's own commands and what a
pipe feeds), ``ip`` (with ``ip_link``, ``ip_addr``, ``ip_route``, ``ip_neigh``), ``bridge``,
``apps/`` (ping, arping, tcpdump, sleep, sysctl: one module each), ``fmt`` and its
``fmt_linkinfo``/``fmt_route``/``fmt_bridge`` (iproute2-compatible output), ``world`` (the
emulated host), ``export`` (a lab as a script), ``shell`` (``vnetlab shell``) and
``sandbox``/``compare`` (the same script on the real kernel, in a private throwaway
sandbox, and what "agrees" means).
"""

from vnetlab.script.errors import NotSupportedYet, ScriptError
from vnetlab.script.interp import Interpreter, run_script
from vnetlab.script.world import World

__all__ = ["Interpreter", "NotSupportedYet", "ScriptError", "World", "run_script"]
