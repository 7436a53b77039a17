"""For every test folder: tests marked ``kernel`` skip (with the reason) without root or
``ip netns``, and the whole run must leave no lab namespace, link or record behind
(tests/kernel, tests/kernel_l2dev, tests/diff, tests/script all build on the kernel)."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

PREFIX = "vnl-"
ROOT = Path(__file__).resolve().parents[1]

#: what the repository root may hold: the project's own files and the caches of its tools.
#: Anything else (a pcap a test wrote with a relative path, a stray lab record) is litter.
ROOT_ALLOWED = frozenset({
    ".ci", ".git", ".gitignore", "README.md", "CONTRIBUTING.md", "pyproject.toml",
    "bench", "docs", "examples", "scripts", "tests", "vnetlab",
    ".venv", ".pytest_cache", ".mypy_cache", ".ruff_cache", ".hypothesis", "build", "dist",
    "vnetlab.egg-info",
})


def root_litter() -> list[str]:
    """Entries of the repository root that are not on the allow-list."""
    return sorted(p.name for p in ROOT.iterdir() if p.name not in ROOT_ALLOWED)


def _kernel_skip_reason() -> str | None:
    if os.geteuid() != 0:
        return "kernel tests need root (network namespaces)"
    if shutil.which("ip") is None:
        return "iproute2 `ip` is not installed"
    r = subprocess.run(["ip", "netns", "list"], capture_output=True, check=False)
    if r.returncode != 0:
        return f"`ip netns` is unavailable: {r.stderr.decode().strip()}"
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    reason = _kernel_skip_reason()
    if reason is None:
        return
    for item in items:
        if item.get_closest_marker("kernel") is not None:
            item.add_marker(pytest.mark.skip(reason=reason))


def ours_left() -> list[str]:
    """``vnl-`` namespaces and root-namespace links (none of ours should ever be there)."""
    left: list[str] = []
    if os.path.isdir("/run/netns"):
        left += [f"netns {n}" for n in os.listdir("/run/netns") if n.startswith(PREFIX)]
    r = subprocess.run(["ip", "-br", "link"], capture_output=True, text=True, check=False)
    for line in r.stdout.splitlines():
        name = line.split()[0].split("@")[0] if line.strip() else ""
        if name.startswith(PREFIX):
            left.append(f"link {name}")
    return left


@pytest.fixture(scope="session", autouse=True)
def nothing_left_behind(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Run every test with a private record dir; at the end assert no lab residue."""
    run_dir = tmp_path_factory.mktemp("vnetlab-run")
    old = os.environ.get("VNETLAB_RUN_DIR")
    os.environ["VNETLAB_RUN_DIR"] = str(run_dir)
    before = set(ours_left()) if shutil.which("ip") else set()
    litter_before = set(root_litter())
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("VNETLAB_RUN_DIR", None)
        else:
            os.environ["VNETLAB_RUN_DIR"] = old
    if shutil.which("ip") and os.geteuid() == 0:
        left = sorted(set(ours_left()) - before)
        records = sorted(p.name for p in Path(run_dir).glob("*.json"))
        assert not left, f"the tests left these behind: {left}"
        assert not records, f"the tests left lab records behind: {records}"
    litter = sorted(set(root_litter()) - litter_before)
    assert not litter, f"the tests wrote into the repository root: {litter}"
