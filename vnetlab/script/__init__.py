"""Scripts of the real commands (``ip``, ``bridge``, ``ping``, ``tcpdump`` ...) on the emulator.

    from vnetlab.script import run_script
    rc, it = run_script(open("setup.sh").read())
    state = it.world.observe()

Modules: ``lexer`` (the shell subset), ``interp`` (the interpreter and its command table),
``ip``/``bridge``/``apps`` (the tools), ``fmt`` (iproute2-compatible output), ``world``
(the emulated host), ``export`` (a lab as a script), ``shell`` (``vnetlab shell``) and
``sandbox`` (the same script on the real kernel, in a private throwaway sandbox).
"""

from vnetlab.script.errors import NotSupportedYet, ScriptError
from vnetlab.script.interp import Interpreter, run_script
from vnetlab.script.world import World

__all__ = ["Interpreter", "NotSupportedYet", "ScriptError", "World", "run_script"]
