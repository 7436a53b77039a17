"""The repository root holds only the project's files (tests write into temporary
directories; the root conftest also checks that no test run added anything)."""

from __future__ import annotations

import subprocess

from tests.conftest import ROOT, ROOT_ALLOWED


def test_tracked_root_entries_are_on_the_allow_list() -> None:
    r = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True,
                       check=False)
    if r.returncode != 0:  # an exported tree without git: check what is there instead
        names = {p.name for p in ROOT.iterdir()}
    else:
        names = {line.split("/", 1)[0] for line in r.stdout.splitlines() if line}
    assert not names - ROOT_ALLOWED, sorted(names - ROOT_ALLOWED)
