"""Damaged or odd dumps never end in a traceback: the snapshot is made (what it cannot
read is left out or said) or a DumpError names the file. Derandomized (seeded)."""

from __future__ import annotations

import contextlib
import copy
import json
import os
import random
from pathlib import Path
from typing import Any

import pytest

from vnetlab.model.errors import LabError
from vnetlab.model.load import load_lab_text
from vnetlab.snapshot import DumpError, read_dir, snapshot
from vnetlab.snapshot.dumps import NamespaceDump

DATA = Path(__file__).resolve().parent / "data" / "two-ns"
ODD: list[Any] = [None, True, -1, 0, 2**40, "", "x", "10.0.0.1", [], {}, [1, "a"], {"a": 1},
                  1.5, "02:00:00:00:00:01", "fe80::1"]


def _mutate(value: Any, rnd: random.Random) -> Any:
    if isinstance(value, dict) and value:
        k = rnd.choice(sorted(value))
        if rnd.random() < 0.2:
            del value[k]
        elif rnd.random() < 0.5:
            value[k] = _mutate(value[k], rnd)
        else:
            value[k] = copy.deepcopy(rnd.choice(ODD))
        return value
    if isinstance(value, list) and value:
        i = rnd.randrange(len(value))
        value[i] = _mutate(value[i], rnd) if rnd.random() < 0.7 else rnd.choice(ODD)
        return value
    return copy.deepcopy(rnd.choice(ODD))


@pytest.mark.parametrize("seed", range(int(os.environ.get("VNETLAB_FUZZ_EXAMPLES", "60"))))
def test_a_damaged_dump_is_refused_or_snapshotted(seed: int) -> None:
    rnd = random.Random(seed)
    dumps = read_dir(DATA)
    d: NamespaceDump = rnd.choice(dumps)
    attr = rnd.choice(["links", "addrs", "routes", "neighs", "fdb", "vlans", "brlinks",
                       "nsids"])
    value = copy.deepcopy(getattr(d, attr) or [])
    for _ in range(rnd.randint(1, 4)):
        value = _mutate(value, rnd)
    setattr(d, attr, value if isinstance(value, list) else [value])
    try:
        snap = snapshot(dumps)
    except DumpError:
        return
    json.dumps(snap.lab)  # plain data
    # a damaged value the loader refuses is named with file:line: fine, no traceback
    with contextlib.suppress(LabError):
        load_lab_text(snap.yaml, "snap.yaml")
