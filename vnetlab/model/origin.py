"""Where a loaded lab came from: its file and the line of every YAML path, for later errors.

Design note
-----------
The loader knows lines; an engine that refuses a lab much later (the emulator has no STP,
yet the model and the linux engine accept ``stp: true``) knows only the ``LabSpec``. So the
loader remembers, per loaded lab object, its source name and line map, and ``lab_where``
turns a YAML path into ``lab.yaml:7: nodes.h.interfaces.br0.stp`` — the house format of
every lab error. The table is keyed by object identity and emptied by a weakref finalizer,
so a ``LabSpec`` stays a plain value: equality and hashing do not see where it came from,
and a lab built in code (or copied) simply has no origin and gets the bare path.
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from vnetlab.model.errors import format_path, line_of
from vnetlab.model.spec import LabSpec


@dataclass(frozen=True, slots=True)
class Origin:
    source: str
    lines: Mapping[str, int]


_ORIGINS: dict[int, Origin] = {}


def remember(lab: LabSpec, source: str, lines: Mapping[str, int]) -> None:
    """Record that ``lab`` was loaded from ``source`` with the line map ``lines``."""
    key = id(lab)
    _ORIGINS[key] = Origin(source, dict(lines))
    weakref.finalize(lab, _ORIGINS.pop, key, None)


def origin_of(lab: LabSpec) -> Origin | None:
    return _ORIGINS.get(id(lab))


def lab_where(lab: LabSpec, segments: Sequence[object]) -> str:
    """``FILE:LINE: YAML.PATH`` for a loaded lab, the bare path for one built in code."""
    path = format_path(segments)
    origin = origin_of(lab)
    if origin is None:
        return path
    line = line_of(origin.lines, segments)
    where = f"{origin.source}:{line}" if line is not None else origin.source
    return f"{where}: {path}" if path else where
