"""Lint results as data: the JSON document and the SARIF 2.1.0 log.

Design note: pure dictionaries (the CLI prints them with ``json.dumps``), so tests can
validate them without a console. SARIF: one run whose driver lists every rule of the table
(``reportingDescriptor`` with its default level, the one-line summary, the explanation and
the fix as help), results point at the YAML line (``physicalLocation.region.startLine``)
with the YAML path as a logical location, and a finding the lab declares in
``lint.expect`` carries an in-source suppression (code-scanning services show it as
dismissed rather than open). Relative file names stay relative to ``%SRCROOT%``, the way
code-scanning uploads expect them.
"""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any

from vnetlab.lint.rules import RULES
from vnetlab.lint.runner import LintResult

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFO_URI = "https://github.com/vnetlab/vnetlab#lint-a-lab-before-it-is-built"


def to_json(result: LintResult, fail_on: str) -> dict[str, Any]:
    return {
        "lab": result.lab,
        "source": result.source,
        "ok": not result.failed(fail_on),
        "fail_on": fail_on,
        "counts": result.counts(),
        "findings": [
            {"rule": f.rule, "name": RULES[f.rule].name, "severity": f.severity,
             "expected": f.expected, "file": result.source, "line": f.problem.line,
             "path": f.problem.path, "message": f.problem.message, "hint": f.problem.hint}
            for f in result.findings
        ],
    }


def _uri(source: str) -> dict[str, str]:
    p = PurePosixPath(source.replace("\\", "/"))
    if p.is_absolute():
        return {"uri": p.as_uri()}
    return {"uri": str(p), "uriBaseId": "%SRCROOT%"}


def to_sarif(results: list[LintResult], version: str) -> dict[str, Any]:
    rule_ids = list(RULES)
    rules = [{
        "id": r.id,
        "name": r.name,
        "shortDescription": {"text": r.summary},
        "fullDescription": {"text": r.explanation},
        "help": {"text": f"{r.explanation}\n\nFix: {r.fix}"},
        "defaultConfiguration": {"level": r.severity},
        "properties": {"family": r.family},
    } for r in RULES.values()]
    out: list[dict[str, Any]] = []
    for result in results:
        for f in result.findings:
            loc: dict[str, Any] = {"physicalLocation": {"artifactLocation": _uri(result.source)}}
            if f.problem.line is not None:
                loc["physicalLocation"]["region"] = {"startLine": f.problem.line}
            if f.problem.path:
                loc["logicalLocations"] = [{"fullyQualifiedName": f.problem.path,
                                            "kind": "element"}]
            text = f.problem.message + (f"\nhint: {f.problem.hint}" if f.problem.hint else "")
            res: dict[str, Any] = {
                "ruleId": f.rule,
                "ruleIndex": rule_ids.index(f.rule),
                "level": f.severity,
                "message": {"text": text},
                "locations": [loc],
            }
            if f.expected:
                res["suppressions"] = [{"kind": "inSource", "justification":
                                        "declared in the lab's lint.expect"}]
            out.append(res)
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "vnetlab lint", "version": version,
                                "informationUri": INFO_URI, "rules": rules}},
            "columnKind": "unicodeCodePoints",
            "results": out,
        }],
    }
