"""What the CLI tests share: the example labs, invoking the command, writing a lab file."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from vnetlab.cli.main import cli

ROOT = Path(__file__).resolve().parents[2]
CONTAINER_HOST = str(ROOT / "examples" / "container-host.yaml")
EXERCISE1 = str(ROOT / "examples" / "exercise1-bridge-flooding.yaml")


def invoke(*args: str) -> tuple[int, str, str]:
    """Run ``vnetlab ARGS`` in-process: (exit status, stdout, stderr); a Python exception
    other than the exit itself is re-raised, so a traceback fails the test."""
    result = CliRunner().invoke(cli, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def write(tmp_path: Path, text: str, name: str = "lab.yaml") -> str:
    p = tmp_path / name
    p.write_text(text)
    return str(p)
