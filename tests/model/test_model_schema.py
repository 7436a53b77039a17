"""The generated JSON Schema accepts the example labs and rejects obvious junk."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from vnetlab.model import lab_json_schema

HERE = Path(__file__).parent
EXAMPLES = sorted(HERE.glob("*.yaml")) + sorted((HERE.parent.parent / "examples").glob("*.yaml"))


def _resolve_ref(root: dict[str, Any], ref: str) -> dict[str, Any]:
    node: Any = root
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    return node


_TYPES = {
    "object": dict,
    "array": list,
    "string": str,
    "boolean": bool,
    "null": type(None),
}


def errors(root: dict[str, Any], schema: dict[str, Any], value: Any, path: str = "$") -> list[str]:
    """A small JSON Schema checker: the keywords pydantic emits for LabSpec."""
    if "$ref" in schema:
        return errors(root, _resolve_ref(root, schema["$ref"]), value, path)
    out: list[str] = []
    t = schema.get("type")
    if t == "integer":
        if not isinstance(value, int) or isinstance(value, bool):
            return [f"{path}: not an integer"]
    elif t == "number":
        if not isinstance(value, int | float) or isinstance(value, bool):
            return [f"{path}: not a number"]
    elif t is not None and not isinstance(value, _TYPES[t]):
        return [f"{path}: not {t}"]
    if "const" in schema and value != schema["const"]:
        out.append(f"{path}: not {schema['const']!r}")
    if "enum" in schema and value not in schema["enum"]:
        out.append(f"{path}: not in {schema['enum']}")
    if isinstance(value, str):
        if "pattern" in schema and not re.search(schema["pattern"], value):
            out.append(f"{path}: does not match {schema['pattern']}")
        if len(value) > schema.get("maxLength", 1 << 30) or len(value) < schema.get("minLength", 0):
            out.append(f"{path}: bad length")
    if isinstance(value, int | float) and not isinstance(value, bool):
        if value < schema.get("minimum", float("-inf")) or value > schema.get(
            "maximum", float("inf")
        ):
            out.append(f"{path}: out of range")
    if isinstance(value, dict):
        props = schema.get("properties", {})
        for key in schema.get("required", []):
            if key not in value:
                out.append(f"{path}: missing {key}")
        for key, item in value.items():
            if "propertyNames" in schema:
                out += errors(root, schema["propertyNames"], key, f"{path}.<{key}>")
            patterns = [
                sub
                for pat, sub in schema.get("patternProperties", {}).items()
                if re.search(pat, key)
            ]
            if key in props:
                out += errors(root, props[key], item, f"{path}.{key}")
            elif patterns:
                for sub in patterns:
                    out += errors(root, sub, item, f"{path}.{key}")
            elif schema.get("additionalProperties") is False:
                out.append(f"{path}: unknown {key}")
            elif isinstance(schema.get("additionalProperties"), dict):
                out += errors(root, schema["additionalProperties"], item, f"{path}.{key}")
    if isinstance(value, list):
        if len(value) < schema.get("minItems", 0) or len(value) > schema.get("maxItems", 1 << 30):
            out.append(f"{path}: bad item count")
        if "items" in schema:
            for i, item in enumerate(value):
                out += errors(root, schema["items"], item, f"{path}[{i}]")
    if "anyOf" in schema and not any(not errors(root, s, value, path) for s in schema["anyOf"]):
        out.append(f"{path}: matches none of anyOf")
    if "oneOf" in schema:
        ok = sum(not errors(root, s, value, path) for s in schema["oneOf"])
        if ok != 1:
            out.append(f"{path}: matches {ok} of oneOf")
    return out


def test_schema_header():
    schema = lab_json_schema()
    assert schema["$schema"].startswith("https://json-schema.org/")
    assert schema["title"] == "vnetlab lab"
    json.dumps(schema)  # serialisable


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_schema_accepts_examples(path: Path):
    schema = lab_json_schema()
    data = yaml.safe_load(path.read_text())
    # YAML turns unquoted addresses into strings already; the schema sees what the loader sees
    assert errors(schema, schema, data) == []
    try:
        import jsonschema
    except ImportError:
        return
    jsonschema.validate(data, schema)


@pytest.mark.parametrize(
    "bad",
    [
        {"nodes": {"a": {}}},
        {"name": "t", "nodes": {"a": {"interfaces": {"e0": {"adresses": []}}}}},
        {"name": "t", "nodes": {"a": {"interfaces": {"e0": {"type": "vlan"}}}}},
        {"name": "t", "nodes": {"a": {"sysctls": {"net.ipv4.x": 1}}}},
        {"name": "t", "nodes": {"a": {}}, "links": [{"endpoints": ["a:e0"]}]},
        {"name": "t", "nodes": {"a": {}}, "checks": [{"pnig": "a -> 1.2.3.4"}]},
    ],
)
def test_schema_rejects_junk(bad: dict[str, Any]):
    schema = lab_json_schema()
    assert errors(schema, schema, bad)
