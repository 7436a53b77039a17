"""``vnetlab --help`` stays cheap: the CLI's entry module loads neither pydantic (the lab
model), rich (rendering), the emulator nor the linux engine until a command needs them.
bench/cli_startup.py measures the time; this pins the cause, without timing anything."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("pydantic", "rich", "yaml", "pyroute2", "vnetlab.sim", "vnetlab.kernel",
         "vnetlab.model.spec")


def test_help_imports_nothing_heavy() -> None:
    code = (
        "import sys\n"
        "from vnetlab.cli.main import cli\n"
        "try:\n"
        "    cli(['--help'], prog_name='vnetlab', standalone_mode=False)\n"
        "except SystemExit:\n"
        "    pass\n"
        f"print('LOADED:' + ','.join(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       check=True)
    loaded = r.stdout.rpartition("LOADED:")[2].strip()
    assert loaded == "", f"--help loaded: {loaded}"
    assert "Commands:" in r.stdout
