"""Fuzzing ``run_vsctl``: whatever the argv, it returns a status (0, 1 or 2) with
``ovs-vsctl: ...`` on stderr for an error, never a Python exception, and a failed command
line leaves the database as it was. Argument lists are drawn from the oracle sequences
and mutated (words dropped, repeated, swapped, spliced with delimiters and odd values).
Derandomized in CI; ``VNETLAB_FUZZ_EXAMPLES=N`` runs N random examples."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.ovsdb.sequences import SEQUENCES
from vnetlab.ovsdb.db import Database
from vnetlab.ovsdb.vsctl import run_vsctl

EXAMPLES = int(os.environ.get("VNETLAB_FUZZ_EXAMPLES", "60"))
DERANDOMIZE = "VNETLAB_FUZZ_EXAMPLES" not in os.environ

CORPUS = [argv for seq in SEQUENCES.values() for argv in seq]
WORDS = sorted({w for argv in CORPUS for w in argv})
SPLICE = ["--", "-", "=", ":", ",", "[", "]", "{", "}", '"', "\\", "@", "@x", ".", "",
          " ", "\x00", "é", "-1", "99999999999999999999", "1-4096", "{}", "[]", "=[]",
          "--id=@x", "--if-exists", "--may-exist", "--all", "--columns=_uuid"]


def _setup() -> Database:
    db = Database()
    for argv in (["add-br", "br0"], ["add-port", "br0", "p1", "tag=10"],
                 ["add-br", "v10", "br0", "10"], ["--", "--id=@m", "create", "Mirror",
                                                  "name=m0", "--", "set", "Bridge", "br0",
                                                  "mirrors=@m"]):
        assert run_vsctl(db, ["--no-wait", *argv]).status == 0
    return db


@st.composite
def argvs(draw: st.DrawFn) -> list[str]:
    argv = list(draw(st.sampled_from(CORPUS)))
    for _ in range(draw(st.integers(0, 4))):
        op = draw(st.integers(0, 4))
        pos = draw(st.integers(0, len(argv)))
        if op == 0 and argv:
            argv.pop(min(pos, len(argv) - 1))
        elif op == 1:
            argv.insert(pos, draw(st.sampled_from(WORDS)))
        elif op == 2:
            argv.insert(pos, draw(st.sampled_from(SPLICE)))
        elif op == 3 and argv:
            i = min(pos, len(argv) - 1)
            cut = draw(st.integers(0, len(argv[i])))
            argv[i] = argv[i][:cut] + draw(st.sampled_from(SPLICE)) + argv[i][cut:]
        elif argv:
            argv = argv + ["--"] + list(draw(st.sampled_from(CORPUS)))
    return argv


@settings(max_examples=EXAMPLES, derandomize=DERANDOMIZE, deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(argvs())
def test_any_argv_gives_a_status_not_an_exception(argv: list[str]) -> None:
    db = _setup()
    before = {t: [(r.uuid, {c: r[c] for c in db.schema[t].columns}) for r in db.rows(t)]
              for t in db.schema}
    res = run_vsctl(db, ["--no-wait", *argv])
    assert res.status in (0, 1, 2)
    if res.status == 1:
        assert res.stderr.splitlines()[-1].startswith("ovs-vsctl: ")
    if res.status != 0:
        after = {t: [(r.uuid, {c: r[c] for c in db.schema[t].columns}) for r in db.rows(t)]
                 for t in db.schema}
        assert after == before
