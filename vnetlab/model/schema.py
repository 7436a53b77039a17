"""The JSON Schema of ``lab.yaml``, generated from ``LabSpec`` (never written by hand).

Editors use it for completion and checking (``# yaml-language-server: $schema=...``);
``vnetlab schema`` prints it. Cross references (which ``master`` exists ...) are beyond
JSON Schema and stay with ``resolve()``.
"""

from __future__ import annotations

from typing import Any

from vnetlab.model.spec import LabSpec

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def lab_json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) a ``lab.yaml`` document must satisfy."""
    schema = LabSpec.model_json_schema(mode="validation")
    return {"$schema": SCHEMA_DIALECT, **schema, "title": "vnetlab lab"}
