"""Load a lab from YAML: text → raw data + line map → ``LabSpec`` → ``resolve()``.

Design note
-----------
Three stages, each collecting every problem it can before raising one ``LabError``:

1. YAML (``vnetlab.model.yaml_lines``): the parsed data and the 1-based line of every
   path; duplicate keys, alias bombs and numbers ``int()`` would refuse are reported there.
2. Types (``vnetlab.model.pydantic_problems``): ``LabSpec.model_validate``; each pydantic
   error becomes a ``Problem`` at its YAML path, in a sentence.
3. References: ``resolve()`` with the line map, so its problems have lines too.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from vnetlab.model.errors import LabError, Problem
from vnetlab.model.origin import remember
from vnetlab.model.pydantic_problems import _show, validation_problems
from vnetlab.model.resolver import resolve
from vnetlab.model.spec import LabSpec
from vnetlab.model.yaml_lines import (
    MAX_ALIAS_NODES,
    MAX_ALIASES_ENV,
    MAX_INT_CHARS,
    _parse,
    parse_yaml,
)

__all__ = ["LabError", "MAX_ALIAS_NODES", "MAX_ALIASES_ENV", "MAX_INT_CHARS", "Problem",
           "load_lab", "load_lab_text", "parse_yaml", "validation_problems"]


def load_lab_text(text: str, source: str = "<string>") -> LabSpec:
    """Parse, validate and resolve a lab given as YAML text; raises ``LabError``."""
    parsed = _parse(text, source)
    data, lines = parsed.data, parsed.lines
    if not isinstance(data, dict):
        raise LabError(
            source,
            [
                Problem(
                    "",
                    lines.get(""),
                    f"the top level must be a mapping with keys name, nodes, links, checks; "
                    f"found {_show(data)}",
                    "start the file with 'name: my-lab' and 'nodes:'",
                )
            ],
        )
    try:
        lab = LabSpec.model_validate(data)
    except ValidationError as e:
        raise LabError(source, validation_problems(e, data, lines, parsed.base60)) from None
    except RecursionError:
        raise LabError(
            source, [Problem("", None, "the YAML is nested too deeply to be a lab", None)]
        ) from None
    resolved = resolve(lab, lines, source=source)
    remember(resolved, source, lines)  # for errors an engine finds later (lab_where)
    return resolved


def load_lab(path: str | Path) -> LabSpec:
    """Load ``lab.yaml``: parse, validate, resolve. Every user mistake raises ``LabError``."""
    p = Path(path)
    source = str(path)
    try:
        raw = p.read_bytes()
    except FileNotFoundError:
        raise LabError(
            source, [Problem("", None, f"no such file: {source}", "check the path and name")]
        ) from None
    except IsADirectoryError:
        raise LabError(
            source, [Problem("", None, f"{source} is a directory, not a lab file", None)]
        ) from None
    except OSError as e:
        raise LabError(
            source, [Problem("", None, f"cannot read {source}: {e.strerror}", None)]
        ) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise LabError(
            source,
            [Problem("", None, f"not UTF-8 text (byte {e.start} cannot be decoded)", None)],
        ) from None
    return load_lab_text(text, source)
