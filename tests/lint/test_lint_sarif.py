"""``--format sarif`` validates against the official SARIF 2.1.0 schema (vendored here,
see SARIF-SCHEMA-ORIGIN.md) and puts each finding on its YAML line."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from tests.cli.clilab import ROOT, invoke, write
from tests.lint.labs import CASES
from vnetlab.lint.context import LintOptions
from vnetlab.lint.report import to_sarif
from vnetlab.lint.rules import RULES
from vnetlab.lint.runner import lint_file

SCHEMA = json.loads((Path(__file__).with_name("sarif-schema-2.1.0.json")).read_text())


def validate(doc: object) -> None:
    jsonschema.Draft4Validator.check_schema(SCHEMA)
    jsonschema.Draft4Validator(SCHEMA).validate(doc)


def test_the_vendored_schema_is_the_official_one() -> None:
    assert SCHEMA["id"].endswith("/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json")
    # the schema really constrains: a log without version is refused
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft4Validator(SCHEMA).validate({"runs": []})


def test_every_trigger_lab_validates(tmp_path: Path) -> None:
    results = []
    for k, (_rule, _label, trigger, _clean, gc) in enumerate(CASES):
        p = tmp_path / f"lab{k}.yaml"
        p.write_text(trigger)
        results.append(lint_file(p, options=LintOptions(gc_thresh3=gc)))
    doc = to_sarif(results, "1.0")
    validate(doc)
    run = doc["runs"][0]
    assert [r["id"] for r in run["tool"]["driver"]["rules"]] == list(RULES)
    assert {r["ruleId"] for r in run["results"]} >= {c[0] for c in CASES}
    for res in run["results"]:
        assert run["tool"]["driver"]["rules"][res["ruleIndex"]]["id"] == res["ruleId"]
        assert res["level"] == RULES[res["ruleId"]].severity


def test_cli_sarif_locations_are_yaml_lines(tmp_path: Path) -> None:
    lab = str(ROOT / "examples" / "exercise2-vxlan-mtu.yaml")
    code, out, _ = invoke("lint", "--format", "sarif", lab)
    assert code == 0  # the MTU001 findings are declared in lint.expect
    doc = json.loads(out)
    validate(doc)
    results = doc["runs"][0]["results"]
    lines = Path(lab).read_text().splitlines()
    assert results and all(r["ruleId"] == "MTU001" for r in results)
    for r in results:
        loc = r["locations"][0]
        line = loc["physicalLocation"]["region"]["startLine"]
        assert loc["physicalLocation"]["artifactLocation"]["uri"].endswith(
            "examples/exercise2-vxlan-mtu.yaml")
        # the line named is the one the YAML path points at (vx-bad/vx-df/vx-br's mtu)
        name = loc["logicalLocations"][0]["fullyQualifiedName"].split(".")[3]
        assert name in lines[line - 1]
        assert r["suppressions"][0]["kind"] == "inSource"


def test_sarif_of_an_unloadable_lab_and_a_relative_path(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, "name: x\nnodes:\n  a: {interfaces: {eth0: {master: nope}}}\n")
    monkeypatch.chdir(tmp_path)
    code, out, _ = invoke("lint", "--format", "sarif", "lab.yaml")
    assert code == 1
    doc = json.loads(out)
    validate(doc)
    res = doc["runs"][0]["results"]
    assert {r["ruleId"] for r in res} == {"LAB001"}
    assert res[0]["locations"][0]["physicalLocation"]["artifactLocation"] == {
        "uri": "lab.yaml", "uriBaseId": "%SRCROOT%"}
