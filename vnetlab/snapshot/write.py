"""The lab file a snapshot writes: a header of what it cannot carry, then the YAML.

Design note
-----------
The header is YAML comments, so the file stays a plain lab that ``run``/``trace``/
``lint`` load; it says where the snapshot came from, what no snapshot carries
(``tolab.NEVER_CARRIED``) and, one line each, what this one left out or changed.
"""

from __future__ import annotations

from typing import Any

import yaml

from vnetlab.snapshot.tolab import NEVER_CARRIED


class _Dumper(yaml.SafeDumper):  # type: ignore[misc]  # PyYAML has no types here
    """SafeDumper with multi-line strings (``setup``) as ``|`` blocks."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


def _list(dumper: yaml.SafeDumper, value: list[object]) -> yaml.Node:
    """Short lists of scalars on one line (``addresses: [10.0.0.1/24]``), the rest one
    item a line (flows, ebtables rules, routes)."""
    short = all(isinstance(x, str | int | float) for x in value) and sum(
        len(str(x)) for x in value) < 60
    return dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=short)


_Dumper.add_representer(str, _str)
_Dumper.add_representer(list, _list)


def to_yaml(lab: dict[str, Any], notes: list[str], source: str) -> str:
    head = [f"# vnetlab snapshot of {source}",
            "# A snapshot is the host's network configuration, not the host. It never carries:"]
    head += [f"#   - {line}" for line in NEVER_CARRIED]
    if notes:
        head.append("# This snapshot also left out or changed:")
        head += [f"#   - {line}" for line in notes]
    body: str = yaml.dump(lab, Dumper=_Dumper, sort_keys=False, default_flow_style=None,
                     width=4096, allow_unicode=True)
    return "\n".join(head) + "\n" + body
