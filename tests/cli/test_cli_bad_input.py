"""Issue 10 on the command line: bad input never crashes, hangs or lies.

Output paths that cannot be made, data rich would turn into emoji or markup, captures of
what was not asked, ping's summary and ``--json`` everywhere, the real programs the linux
engine needs; and a guard over every command: malformed arguments and labs give exit 2
(1 for failed checks), one clean paragraph on stderr (a JSON object under ``--json``), never
a traceback. ``VNETLAB_FUZZ_EXAMPLES=N`` runs the argument fuzz longer.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from clilab import CONTAINER_HOST, EXERCISE1, invoke, write
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vnetlab.cli.main import cli
from vnetlab.engine import EngineError
from vnetlab.model import load_lab, load_lab_text

FUZZ_EXAMPLES = int(os.environ.get("VNETLAB_FUZZ_EXAMPLES", "60"))


def clean_error(err: str) -> None:
    """One paragraph: no traceback, no blank line inside, not empty."""
    assert err.strip(), "no message on stderr"
    assert "Traceback" not in err
    assert "\n\n" not in err.strip(), err


def json_error(err: str) -> dict[str, Any]:
    data = json.loads(err)
    assert isinstance(data, dict) and isinstance(data["error"], str) and data["error"]
    assert "hint" in data
    return data


# -- item 9: an output path that cannot be created ----------------------------------------
def test_capture_to_uncreatable_dir_is_one_clean_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    code, out, err = invoke("capture", EXERCISE1, "host:veth2", "-o", str(blocker / "caps"))
    assert code == 2 and out == ""
    clean_error(err)
    assert "cannot create directory" in err and str(blocker / "caps") in err
    code, _, err = invoke("capture", EXERCISE1, "host:veth2", "-o", str(blocker / "caps"),
                          "--json")
    assert code == 2 and "cannot create directory" in str(json_error(err)["error"])


def test_export_to_uncreatable_file_is_one_clean_error(tmp_path: Path) -> None:
    target = tmp_path / "missing" / "dir" / "lab.sh"
    code, out, err = invoke("export", CONTAINER_HOST, "--script", "-o", str(target))
    assert code == 2 and out == ""
    clean_error(err)
    assert f"cannot write {target}: No such file or directory" in err


# -- item 10: data is never emoji or markup ---------------------------------------------
EMOJI_LAB = """\
name: macs
nodes:
  a:
    interfaces:
      eth0: {addresses: [10.0.0.1/24], mac: "02:ab:cd:00:00:01"}
  b:
    interfaces:
      eth0: {addresses: [10.0.0.2/24], mac: "02:00:00:ab:cd:02"}
links: [{endpoints: [a:eth0, b:eth0]}]
checks:
  - ping: a -> 10.0.0.2
"""


def test_show_prints_macs_as_written(tmp_path: Path) -> None:
    code, out, _ = invoke("show", write(tmp_path, EMOJI_LAB), "--after-checks")
    assert code == 0
    assert "02:ab:cd:00:00:01" in out and "🆎" not in out
    assert "02:00:00:ab:cd:02" in out  # in a's neighbour table too


def test_errors_print_colons_as_written(tmp_path: Path) -> None:
    code, _, err = invoke("capture", CONTAINER_HOST, "a:ab:", "-o", str(tmp_path / "c"))
    assert code == 2
    assert "'a:ab:' is not an interface" in err and "🆎" not in err


def test_markup_in_data_is_shown_not_interpreted() -> None:
    from rich.console import Console

    from vnetlab.cli.render import _e

    console = Console(record=True, width=200, emoji=False)
    console.print(f"[bold]{_e('node [red]x[/red] :ab:')}[/]")
    assert "node [red]x[/red] :ab:" in console.export_text()


# -- item 19: capture writes only what was asked ----------------------------------------
def test_capture_writes_only_the_interfaces_asked(tmp_path: Path) -> None:
    out_dir = tmp_path / "caps"
    code, out, _ = invoke("capture", EXERCISE1, "host:veth3", "-o", str(out_dir))
    assert code == 0
    assert sorted(p.name for p in out_dir.iterdir()) == ["host-veth3.pcap"]
    assert "host-veth3.pcap" in out


# -- item 22: ping's summary, --json, 1-based indexes, JSON errors ---------------------
def _summary(text: str) -> list[str]:
    lines = text.strip().splitlines()
    return lines[lines.index(next(ln for ln in lines if ln.startswith("--- "))):]


def test_ping_summary_is_the_scripts(tmp_path: Path) -> None:
    code, out, _ = invoke("ping", CONTAINER_HOST, "a", "192.0.2.254", "-c", "3")
    assert code == 0
    script = write(tmp_path, "ip netns exec a ping -c 3 192.0.2.254\n", "p.sh")
    code2, sout, _ = invoke("script", "--lab", CONTAINER_HOST, script)
    assert code2 == 0
    assert _summary(out) == _summary(sout)
    assert re.search(r"0% packet loss, time \d+ms$", _summary(out)[1])
    assert _summary(out)[2].startswith("rtt min/avg/max/mdev = ")


def test_ping_json() -> None:
    code, out, _ = invoke("ping", CONTAINER_HOST, "a", "192.0.2.254", "-c", "2", "--json")
    data = json.loads(out)
    assert code == 0 and data["transmitted"] == 2 and data["received"] == 2
    assert [r["seq"] for r in data["replies"]] == [1, 2]
    assert set(data["rtt_ms"]) == {"min", "avg", "max", "mdev"}
    code, out, _ = invoke("ping", CONTAINER_HOST, "a", "198.51.100.7", "-c", "1", "--json")
    data = json.loads(out)
    assert code == 1 and data["received"] == 0 and data["rtt_ms"] is None
    assert any("Unreachable" in e for e in data["error_lines"])


def test_capture_json(tmp_path: Path) -> None:
    code, out, _ = invoke("capture", EXERCISE1, "host:veth3", "-o", str(tmp_path), "--json")
    data = json.loads(out)
    assert code == 0 and data["ok"] is True
    assert [c["interface"] for c in data["captures"]] == ["host:veth3"]
    assert data["captures"][0]["frames"] >= 1


def test_run_json_index_is_the_tables_number() -> None:
    code, out, _ = invoke("run", CONTAINER_HOST, "--json")
    data = json.loads(out)
    assert code == 0
    assert [r["index"] for r in data["results"]] == list(range(1, len(data["results"]) + 1))
    code, table, _ = invoke("run", CONTAINER_HOST)
    first = next(ln for ln in table.splitlines() if data["results"][0]["subject"] in ln)
    assert re.match(r"\W*1\W", first), first


@pytest.mark.parametrize("args", [
    ("run", "LAB"), ("show", "LAB"), ("trace", "LAB", "--from", "a", "--to", "10.0.0.9"),
    ("ping", "LAB", "a", "10.0.0.9"), ("capture", "LAB", "a:eth0", "-o", "OUT"),
])
def test_errors_under_json_are_a_json_object(tmp_path: Path, args: tuple[str, ...]) -> None:
    bad = write(tmp_path, "name: x\nnodes:\n  a:\n    interfaces:\n      eth0: {adresses: []}\n")
    argv = [bad if a == "LAB" else str(tmp_path / "o") if a == "OUT" else a for a in args]
    code, out, err = invoke(*argv, "--json")
    assert code == 2 and out == ""
    data = json_error(err)
    assert "lab.yaml:5" in str(data["error"]) and data["hint"] == "did you mean 'addresses'?"
    assert data["problems"] == [{"file": bad, "line": 5,
                                 "path": "nodes.a.interfaces.eth0.adresses",
                                 "message": data["problems"][0]["message"],
                                 "hint": "did you mean 'addresses'?"}]
    # an argument error too
    code, _, err = invoke(*argv[:2], "--no-such-option", "--json")
    assert code == 2 and "--no-such-option" in str(json_error(err)["error"])


# -- item 23: the real programs the linux engine needs ----------------------------------
def test_linux_engine_names_a_missing_program_before_building() -> None:
    from vnetlab.kernel.engine import LinuxEngine
    from vnetlab.kernel.hostprogs import needed

    lab = load_lab(EXERCISE1)
    assert list(needed(lab)) == ["ip", "ping", "tcpdump"]
    eng = LinuxEngine(which=lambda p: None if p == "tcpdump" else f"/usr/bin/{p}")
    with pytest.raises(EngineError) as e:
        eng.realize(lab)
    assert "'tcpdump' not found" in str(e.value) and "Debian package tcpdump" in str(e.value)
    assert eng.record is None and eng.realized is None  # nothing was built
    eng = LinuxEngine(which=lambda p: None if p == "ping" else f"/usr/bin/{p}")
    with pytest.raises(EngineError, match="iputils-ping"):
        eng.realize(lab)
    # a lab without checks needs no programs; `vnetlab ping` asks for ping itself
    bare = load_lab_text("name: x\nnodes:\n  a: {}\n")
    assert needed(bare) == {}
    eng = LinuxEngine(programs_needed=("ping",), which=lambda p: None)
    with pytest.raises(EngineError, match="'ip' not found.*iproute2"):
        eng.realize(bare)


# -- guard: every command, malformed arguments and labs ----------------------------------
BAD_LABS = {
    "syntax": "name: x\nnodes: [\n",
    "unknown-key": "name: x\nnodes:\n  a:\n    interfaces:\n      eth0: {adresses: []}\n",
    "not-a-map": "- 1\n- 2\n",
    "empty": "",
    "binary": "\x00\x01\x02",
}

COMMANDS: list[tuple[str, ...]] = [
    ("run", "LAB"), ("run", "LAB", "--json"), ("show", "LAB"), ("show", "LAB", "--json"),
    ("trace", "LAB", "--from", "a", "--to", "10.0.0.9"),
    ("trace", "LAB", "--from", "a", "--to", "10.0.0.9", "--json"),
    ("ping", "LAB", "a", "10.0.0.9"), ("ping", "LAB", "a", "10.0.0.9", "--json"),
    ("capture", "LAB", "a:eth0", "-o", "OUT"), ("capture", "LAB", "a:eth0", "-o", "OUT", "--json"),
    ("export", "LAB", "--script"), ("up", "LAB", "--dry-run", "--engine", "linux"),
    ("script", "--lab", "LAB", "EMPTY"),
]


@pytest.mark.parametrize("lab_kind", sorted(BAD_LABS))
@pytest.mark.parametrize("args", COMMANDS, ids=[" ".join(c) for c in COMMANDS])
def test_every_command_refuses_a_bad_lab_cleanly(tmp_path: Path, args: tuple[str, ...],
                                                 lab_kind: str) -> None:
    lab = tmp_path / "lab.yaml"
    lab.write_bytes(BAD_LABS[lab_kind].encode())
    empty = write(tmp_path, "", "empty.sh")
    subst = {"LAB": str(lab), "OUT": str(tmp_path / "out"), "EMPTY": empty}
    code, out, err = invoke(*(subst.get(a, a) for a in args))
    assert code == 2, (code, out, err)
    assert out == ""
    if "--json" in args:
        json_error(err)
    else:
        clean_error(err)
        assert "lab.yaml" in err


BAD_ARGS: list[tuple[str, ...]] = [
    ("run",), ("run", "LAB", "--engine", "qemu"), ("show", "LAB", "--bogus"),
    ("ping", "LAB"), ("ping", "LAB", "a", "300.1.1.1"), ("ping", "LAB", "a", "10.0.0.9", "-c", "0"),
    ("ping", "LAB", "a", "10.0.0.9", "-s", "70000"), ("ping", "LAB", "zz", "10.0.0.9"),
    ("trace", "LAB"), ("trace", "LAB", "--from", "a", "--to", "x"),
    ("trace", "LAB", "--from", "zz", "--to", "10.0.0.9"),
    ("capture", "LAB", "a:eth0"), ("capture", "LAB", "-o", "OUT"),
    ("capture", "LAB", "nocolon", "-o", "OUT"), ("capture", "LAB", "a:ab:", "-o", "OUT"),
    ("export", "LAB"), ("export", "LAB", "--script", "-o", "/nonexistent-dir/x.sh"),
    ("script", "/nonexistent-dir/x.sh"), ("script", "--set", "novalue", "EMPTY"),
    ("exec", "LAB"), ("nosuchcommand",), ("run", "/nonexistent-dir/lab.yaml"),
]


@pytest.mark.parametrize("args", BAD_ARGS, ids=[" ".join(c) for c in BAD_ARGS])
def test_every_command_refuses_bad_arguments_cleanly(tmp_path: Path,
                                                     args: tuple[str, ...]) -> None:
    empty = write(tmp_path, "", "empty.sh")
    subst = {"LAB": CONTAINER_HOST, "OUT": str(tmp_path / "out"), "EMPTY": empty}
    argv = [subst.get(a, a) for a in args]
    code, out, err = invoke(*argv)
    assert code == 2, (code, out, err)
    clean_error(err)
    if args[0] in ("run", "show", "ping", "trace", "capture"):
        code, _, err = invoke(*argv, "--json")
        assert code == 2
        json_error(err)


_WORDS = st.sampled_from([
    "run", "show", "ping", "trace", "capture", "export", "schema", "--json", "--engine",
    "sim", "--from", "--to", "-o", "-c", "-s", "-M", "do", "--script", "--after-checks",
    "a", "b", "host", "a:eth0", "host:br0", "192.168.1.3", "10.0.0.9", "0", "-1", "65536",
    "LAB", ":ab:", "[red]x[/]", "", "--", "-",
])


@settings(max_examples=FUZZ_EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(st.lists(st.one_of(_WORDS, st.text(max_size=8)), min_size=1, max_size=6))
def test_fuzzed_arguments_never_crash(tmp_path: Path, words: list[str]) -> None:
    argv = [CONTAINER_HOST if w == "LAB" else w for w in words]
    if argv[0] in ("shell", "up", "down", "status", "gc", "exec", "script"):
        return  # interactive, or the real kernel: not fuzzed here
    if "-o" in argv:  # keep writes inside the test's directory
        i = argv.index("-o")
        argv[i + 1:i + 2] = [str(tmp_path / "o")]
    result = CliRunner().invoke(cli, argv)
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    assert result.exit_code in (0, 1, 2), (argv, result.exit_code, result.stderr)
    assert "Traceback" not in result.stderr
