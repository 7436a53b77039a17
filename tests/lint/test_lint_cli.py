"""``vnetlab lint``: exit status 0/1/2, formats, --select/--ignore, --fail-on."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.clilab import invoke, write
from tests.lint.labs import _LOOP, _three_hosts


def test_clean_lab_exits_0(tmp_path: Path) -> None:
    code, out, _ = invoke("lint", write(tmp_path, _LOOP.format(stp=", stp: true")))
    assert code == 0
    assert "no findings" in out and "ok" in out


def test_error_exits_1_with_file_line_rule_and_fix(tmp_path: Path) -> None:
    lab = write(tmp_path, _LOOP.format(stp=""))
    code, out, _ = invoke("lint", lab)
    assert code == 1
    assert f"{lab}:" in out and "L2001" in out and "error" in out
    assert "fix: set stp: true" in out
    assert "fails" in out


def test_fail_on(tmp_path: Path) -> None:
    lab = write(tmp_path, _three_hosts())  # one SEC001 warning
    assert invoke("lint", lab)[0] == 0
    assert invoke("lint", "--fail-on", "warning", lab)[0] == 1
    assert invoke("lint", "--fail-on", "note", lab)[0] == 1
    assert invoke("lint", "--fail-on", "never", write(tmp_path, _LOOP.format(stp=""),
                                                      "l.yaml"))[0] == 0


def test_select_ignore(tmp_path: Path) -> None:
    lab = write(tmp_path, _LOOP.format(stp=""))
    assert invoke("lint", "--ignore", "L2001", lab)[0] == 0
    assert invoke("lint", "--select", "SEC,MTU", lab)[0] == 0
    assert invoke("lint", "--select", "l2", lab)[0] == 1  # ids are case-insensitive
    code, _, err = invoke("lint", "--select", "NOPE", lab)
    assert code == 2 and "NOPE" in err


def test_unreadable_input_exits_2(tmp_path: Path) -> None:
    code, _, err = invoke("lint", str(tmp_path / "missing.yaml"))
    assert code == 2 and "no such file" in err
    code, _, err = invoke("lint", write(tmp_path, "nodes: [\n"))
    assert code == 2 and "YAML syntax error" in err
    bad = tmp_path / "bin.yaml"
    bad.write_bytes(b"name: \xff\n")
    code, _, err = invoke("lint", str(bad))
    assert code == 2 and "UTF-8" in err
    code, out, err = invoke("lint", "--format", "sarif", str(tmp_path / "missing.yaml"))
    assert code == 2 and out == ""
    assert json.loads(err)["problems"][0]["message"].startswith("no such file")


def test_lab_that_does_not_resolve_is_findings_not_a_traceback(tmp_path: Path) -> None:
    lab = write(tmp_path, "name: x\nnodes:\n  a: {interfaces: {eth0: {master: nope}}}\n")
    code, out, _ = invoke("lint", "--format", "json", lab)
    assert code == 1
    doc = json.loads(out)
    assert doc["ok"] is False
    assert {f["rule"] for f in doc["findings"]} == {"LAB001"}
    assert {f["line"] for f in doc["findings"]} == {3}


def test_json_document(tmp_path: Path) -> None:
    lab = write(tmp_path, _LOOP.format(stp="") + "lint: {expect: [L2001]}\n")
    code, out, _ = invoke("lint", "--format", "json", lab)
    assert code == 0
    doc = json.loads(out)
    assert doc["lab"] == "loop" and doc["ok"] is True
    assert doc["counts"] == {"error": 0, "warning": 0, "note": 0, "expected": 1}
    (f,) = doc["findings"]
    assert f["rule"] == "L2001" and f["name"] == "l2-loop-without-stp"
    assert f["expected"] is True and f["severity"] == "error"
    assert f["path"] == "nodes.sw.interfaces.a2" and isinstance(f["line"], int)


def test_gc_thresh3_option(tmp_path: Path) -> None:
    lab = write(tmp_path, _three_hosts())
    code, out, _ = invoke("lint", "--format", "json", "--gc-thresh3", "5", lab)
    assert "NEIGH001" in [f["rule"] for f in json.loads(out)["findings"]]
    code, out, _ = invoke("lint", "--format", "json", lab)
    assert "NEIGH001" not in [f["rule"] for f in json.loads(out)["findings"]]


def test_list_rules() -> None:
    code, out, _ = invoke("lint", "--list-rules", "--format", "json")
    assert code == 0
    ids = [r["id"] for r in json.loads(out)]
    assert "MTU001" in ids and len(ids) == len(set(ids))
    assert invoke("lint")[0] == 2  # no LAB
