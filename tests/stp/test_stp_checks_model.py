"""The stp, storm, link and wait checks in the lab format: good spellings load, bad ones
are clean errors naming the YAML path."""

from __future__ import annotations

import pytest

from vnetlab.model import LabError, load_lab_text
from vnetlab.model.checks import LinkStep, StormCheck, StpCheck, WaitCheck

HEAD = ("name: x\nnodes:\n  h:\n    interfaces: {br0: {type: bridge, stp: true}, "
        "p: {master: br0}}\n  o:\n    interfaces: {e: {}}\n"
        "links:\n  - endpoints: [h:p, o:e]\n")


def _checks(body: str) -> list[object]:
    return list(load_lab_text(HEAD + "checks:\n" + body).checks)


def test_good_spellings() -> None:
    c = _checks("  - {stp: h:br0, port: p, state: blocking, at: 31s}\n"
                "  - {stp: h:br0, root: true, at: 2.5}\n"
                "  - {wait: 500ms}\n  - {wait: 20}\n"
                "  - {link: h:p, set: down, at: 40s}\n  - {storm: h:br0, expect: none}\n")
    assert isinstance(c[0], StpCheck) and c[0].at == 31.0 and c[0].state == "blocking"
    assert isinstance(c[1], StpCheck) and c[1].root is True and c[1].at == 2.5
    assert isinstance(c[2], WaitCheck) and c[2].wait == 0.5
    assert isinstance(c[3], WaitCheck) and c[3].wait == 20.0
    assert isinstance(c[4], LinkStep) and c[4].set == "down"
    assert isinstance(c[5], StormCheck) and c[5].expect == "none"


@pytest.mark.parametrize(("body", "words"), [
    ("  - {stp: h:br0, port: p}\n", "names a port and its state together"),
    ("  - {stp: h:br0}\n", "needs port + state, root or root_port"),
    ("  - {stp: h:br0, port: p, state: blocked}\n", "'blocked' is not one of 'disabled'"),
    ("  - {wait: soon}\n", "is not a duration"),
    ("  - {wait: 10000}\n", "out of range"),
    ("  - {wait: true}\n", "is not a duration"),
    ("  - {link: h:p, set: sideways}\n", "checks[0].set: 'sideways' is not one of"),
    ("  - {storm: h:br0, expect: maybe}\n", "checks[0].expect: 'maybe' is not one of"),
    ("  - {stp: h:br0, wait: 3}\n", "this one has stp and wait"),
])
def test_bad_spellings_are_clean_errors(body: str, words: str) -> None:
    with pytest.raises(LabError) as err:
        _checks(body)
    assert words in str(err.value), str(err.value)
    assert "Traceback" not in str(err.value)


@pytest.mark.parametrize(("body", "words"), [
    ("  - {stp: h:br9, root: true}\n", "which node h does not have"),
    ("  - {stp: h:p, root: true}\n", "p is not a Linux bridge"),
    ("  - {stp: h:br0, port: q, state: blocking}\n", "'q' is not a port of bridge h:br0"),
    ("  - {stp: h:br0, root_port: q}\n", "'q' is not a port of bridge h:br0"),
    ("  - {storm: zz:br0}\n", "zz"),
    ("  - {link: h:nope, set: down}\n", "which node h does not have"),
])
def test_references_are_checked_when_the_lab_loads(body: str, words: str) -> None:
    with pytest.raises(LabError) as err:
        _checks(body)
    assert words in str(err.value), str(err.value)
