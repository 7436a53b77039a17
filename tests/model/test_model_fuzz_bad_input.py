"""Guard for issue 10: whatever lab text comes in, the loader answers with a lab or a LabError.

Hypothesis mutates the example labs (as text and as data) and writes random YAML; every
answer must be a ``LabSpec`` or a ``LabError`` whose paragraphs are short and name lines
that exist, within a time bound. A few seconds in CI; ``VNETLAB_FUZZ_EXAMPLES=N`` runs N
examples per target (e.g. 5000 before a release).
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import yaml
from fuzzlab import paths
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from vnetlab.model import LabError, LabSpec, load_lab_text

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))
TEXTS = [p.read_text() for p in EXAMPLES]
N = int(os.environ.get("VNETLAB_FUZZ_EXAMPLES", "40"))
#: one load may take this long; a hang or a quadratic blow-up fails the test
TIME_BOUND_S = 10.0
FUZZ = settings(
    max_examples=N,
    deadline=None,
    derandomize="VNETLAB_FUZZ_EXAMPLES" not in os.environ,  # CI: the same inputs every run
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

#: text that broke the loader once, or that YAML 1.1 reads surprisingly
NASTY = [
    "lo", "a:lo", "9" * 5000, "1:" + "2" * 5000, "12:34:56:12:34:56", "0x" + "f" * 5000,
    "00:00:00:00:00:00", "ff:ff:ff:ff:ff:ff", "eth%d", "ééééééééé", "x" * 100_000, "''", '""',
    "~", "null", ".inf", "-.nan", "1e308", "4294967296", "-1", "0", "yes", "off", "<<", "*a",
    "&a", "!!python/object:os.system", "{", "[", "\t", "\x00", "\ufeff", "\\", "%", "...", "---",
    "a -> 10.0.0.1", "veth", "vlan", "vxlan", "bridge", "macvlan", "geneve", "tun", "tap",
    "stp: true", "mtu: 1400", "link: eth0", "dev: eth0", "master: br0", "verdict: ''",
]


def _editor_lines(text: str) -> int:
    """Lines as an editor or ``grep -n`` counts them (YAML also breaks at NEL, LS, PS)."""
    return text.count("\n") + 1


def _ok(text: str) -> None:
    start = time.monotonic()
    try:
        lab = load_lab_text(text, "fuzz.yaml")
    except LabError as e:
        assert e.problems, "a LabError without problems"
        rendered = str(e)
        nlines = _editor_lines(text)
        for p in e.problems:
            assert p.line is None or 1 <= p.line <= nlines, (p, nlines)
            assert len(p.render("fuzz.yaml")) < 2000, p.render("fuzz.yaml")[:300]
        assert "Traceback" not in rendered
    else:
        assert isinstance(lab, LabSpec)
    assert time.monotonic() - start < TIME_BOUND_S, f"took {time.monotonic() - start:.1f}s"


@st.composite
def mutated_text(draw: st.DrawFn) -> str:
    """An example lab with a few line-level edits: delete, duplicate, swap, splice nasty text."""
    lines = draw(st.sampled_from(TEXTS)).splitlines()
    for _ in range(draw(st.integers(1, 4))):
        if not lines:
            break
        i = draw(st.integers(0, len(lines) - 1))
        op = draw(st.integers(0, 5))
        if op == 0:
            del lines[i]
        elif op == 1:
            lines.insert(i, lines[i])
        elif op == 2:
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
        elif op == 3:  # replace a value (after the first ': ') with nasty text
            key, sep, _ = lines[i].partition(": ")
            lines[i] = key + (sep or ": ") + draw(st.sampled_from(NASTY))
        elif op == 4:  # splice a nasty word into the line
            at = draw(st.integers(0, len(lines[i])))
            lines[i] = lines[i][:at] + draw(st.sampled_from(NASTY)) + lines[i][at:]
        else:  # re-indent
            lines[i] = " " * draw(st.integers(0, 12)) + lines[i].lstrip()
    return "\n".join(lines) + "\n"


SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**80), 2**80), st.floats(allow_nan=True),
    st.sampled_from(NASTY), st.text(max_size=24),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=20,
)


@st.composite
def mutated_data(draw: st.DrawFn) -> str:
    """An example lab as data with values replaced or keys removed, dumped back to YAML."""
    doc = yaml.safe_load(draw(st.sampled_from(TEXTS)))
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(paths(doc)))
        if not path:
            continue
        parent = doc
        for seg in path[:-1]:
            parent = parent[seg]
        if draw(st.booleans()) and isinstance(parent, dict):
            del parent[path[-1]]
        else:
            parent[path[-1]] = draw(VALUES)
    return yaml.safe_dump(doc, allow_unicode=True)


def test_examples_are_there():
    assert len(TEXTS) >= 5
    for text in TEXTS:
        _ok(text)


_SMALL = "name: t\nnodes:\n  a:\n    interfaces:\n      br0: {type: bridge, %s}\n"


@FUZZ
@given(mutated_text())
@example(_SMALL % ("mtu: " + "9" * 5000))  # PyYAML's int() digit limit escaped once
@example(_SMALL % ("mac: " + "x" * 100_000))  # echoed whole in the error once
def test_mutated_example_text(text: str) -> None:
    _ok(text)


@FUZZ
@given(mutated_data())
def test_mutated_example_data(text: str) -> None:
    _ok(text)


@FUZZ
@given(st.text(alphabet="ab0:-_ \n\t{}[],&*!|>'\"#%@`?.<~", max_size=200))
def test_random_yaml(text: str) -> None:
    _ok("name: t\nnodes: {a: {}}\n" + text)
    _ok(text)


@FUZZ
@given(VALUES)
def test_random_documents(value: Any) -> None:
    _ok(yaml.safe_dump(value, allow_unicode=True))
