"""The web view over HTTP (no browser): the token, and the same JSON as the CLI's --json.

The emulator is deterministic, so a fresh lab behind the view and a fresh lab behind the
CLI answer the same questions with the same bytes: the CLI's output is the oracle.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from tests.web.weblab import ROOT, Running
from vnetlab.wire.pcap import parse_pcap, read_pcap

LAB = str(ROOT / "examples" / "vlan-trunk.yaml")


def _get(url: str, token: str | None = None, body: dict[str, Any] | None = None,
         header: bool = True) -> tuple[int, bytes, str]:
    headers = {"Content-Type": "application/json"}
    if token is not None and header:
        headers["X-Vnetlab-Token"] = token
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, headers=headers,
                                 method="POST" if body is not None else "GET")
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, r.read(), r.headers.get("Content-Type", "")
    except urllib.error.HTTPError as e:
        return e.code, e.read(), e.headers.get("Content-Type", "")


def _cli_json(*args: str) -> Any:
    from click.testing import CliRunner

    from vnetlab.cli.main import cli

    result = CliRunner().invoke(cli, [*args, "--json"])
    assert result.exception is None or isinstance(result.exception, SystemExit)
    return json.loads(result.stdout)


@pytest.mark.parametrize("path", ["/", "/api/info", "/api/state", "/api/graph.svg",
                                  "/static/app.js", "/static/style.css"])
def test_every_request_needs_the_token(vlan_trunk: Running, path: str) -> None:
    code, body, _ = _get(vlan_trunk.base + path)
    assert code == 403, (path, code)
    assert b"token" in body
    sep = "&" if "?" in path else "?"
    code, _, _ = _get(f"{vlan_trunk.base}{path}{sep}token=wrong{vlan_trunk.token[:8]}")
    assert code == 403
    code, _, _ = _get(f"{vlan_trunk.base}{path}{sep}token={vlan_trunk.token}")
    assert code == 200, path
    code, _, _ = _get(vlan_trunk.base + path, vlan_trunk.token)  # or the header
    assert code == 200, path


def test_posts_need_the_token_too(vlan_trunk: Running) -> None:
    def state() -> dict[str, Any]:
        return dict(json.loads(_get(vlan_trunk.base + "/api/state", vlan_trunk.token)[1]))

    def learned() -> list[str]:
        return sorted(str(f) for n in state()["nodes"].values() for f in n["fdb"]
                      if f["flags"] == [])

    before = learned()  # what bring-up taught the bridges (IPv6's MLD/DAD, on by default)
    code, _, _ = _get(vlan_trunk.base + "/api/checks", body={})
    assert code == 403
    # nothing ran: the bridges learned nothing more, and no host resolved an IPv4
    # neighbour (every check of the lab pings over IPv4)
    assert learned() == before
    assert not [x for n in state()["nodes"].values() for x in n["neighs"] if ":" not in x["dst"]]


def test_token_is_new_per_run_and_long(vlan_trunk: Running) -> None:
    from vnetlab.web.server import new_token

    assert len(vlan_trunk.token) >= 40
    assert new_token() != new_token()
    assert vlan_trunk.base.startswith("http://127.0.0.1:")


def test_state_is_show_json(vlan_trunk: Running) -> None:
    served = json.loads(_get(vlan_trunk.base + "/api/state", vlan_trunk.token)[1])
    assert served == _cli_json("show", LAB)


def test_checks_are_run_json(vlan_trunk: Running) -> None:
    code, body, ctype = _get(vlan_trunk.base + "/api/checks", vlan_trunk.token, body={})
    assert code == 200 and "json" in ctype
    served = json.loads(body)
    assert served == _cli_json("run", LAB)
    assert served["ok"] and served["counts"]["pass"] == 16


def test_trace_is_trace_json_plus_its_path(vlan_trunk: Running) -> None:
    code, body, _ = _get(vlan_trunk.base + "/api/trace", vlan_trunk.token,
                         body={"from": "h3", "to": "10.0.200.12"})
    assert code == 200
    served = json.loads(body)
    assert served["trace"] == _cli_json("trace", LAB, "--from", "h3", "--to", "10.0.200.12")
    path = served["path"]
    assert path["verdict"] == "delivered to h2:eth0 (10.0.200.12)"
    assert path["vertices"][0] == "h3:eth0" and path["vertices"][-1] == "h2:eth0"
    assert "veth:sw1:trunk--sw2:trunk" in path["edges"]
    assert "h1:eth0" not in path["vertices"]  # VLAN 100's other host: not on the path


def test_ping_is_ping_json(vlan_trunk: Running) -> None:
    code, body, _ = _get(vlan_trunk.base + "/api/ping", vlan_trunk.token,
                         body={"src": "h1", "dst": "10.0.100.13", "count": 3})
    assert code == 200
    assert json.loads(body) == _cli_json("ping", LAB, "h1", "10.0.100.13", "-c", "3")


@pytest.mark.parametrize(("path", "body", "word"), [
    ("/api/trace", {"from": "nosuch", "to": "10.0.0.1"}, "no node 'nosuch'"),
    ("/api/trace", {"from": "h1", "to": "10.0.0"}, "not an IPv4 address"),
    ("/api/ping", {"src": "h1", "dst": "10.0.100.13", "count": 0}, "out of range"),
    ("/api/capture", {"iface": "h1:nosuch"}, "not an interface"),
])
def test_bad_requests_get_the_cli_error_object(vlan_trunk: Running, path: str,
                                               body: dict[str, Any], word: str) -> None:
    code, data, _ = _get(vlan_trunk.base + path, vlan_trunk.token, body=body)
    assert code == 400
    err = json.loads(data)
    assert set(err) == {"error", "hint"} and word in err["error"]


def test_pcap_download_is_what_vnetlab_capture_writes(vlan_trunk: Running,
                                                      tmp_path: Path) -> None:
    """Started from the page before the checks, a download is frame for frame (and
    timestamp for timestamp) what ``vnetlab capture`` records during them."""
    code, _, _ = _get(vlan_trunk.base + "/api/pcap?iface=sw1:trunk", vlan_trunk.token)
    assert code == 404  # not recording yet
    code, _, _ = _get(vlan_trunk.base + "/api/capture", body={"iface": "sw1:trunk"})
    assert code == 403
    code, body, _ = _get(vlan_trunk.base + "/api/capture", vlan_trunk.token,
                         body={"iface": "sw1:trunk"})
    assert code == 200 and json.loads(body) == {"captures": ["sw1:trunk"]}
    _get(vlan_trunk.base + "/api/checks", vlan_trunk.token, body={})
    code, data, ctype = _get(vlan_trunk.base + "/api/pcap?iface=sw1:trunk", vlan_trunk.token)
    assert code == 200 and ctype == "application/vnd.tcpdump.pcap"
    served = parse_pcap(data)
    from click.testing import CliRunner

    from vnetlab.cli.main import cli

    CliRunner().invoke(cli, ["capture", LAB, "sw1:trunk", "-o", str(tmp_path)])
    expected = read_pcap(tmp_path / "sw1-trunk.pcap")
    assert len(expected) > 10
    assert served == expected
    # a second download after more traffic has both the old and the new frames
    _get(vlan_trunk.base + "/api/ping", vlan_trunk.token,
         body={"src": "h1", "dst": "10.0.100.13", "count": 2})
    again = parse_pcap(_get(vlan_trunk.base + "/api/pcap?iface=sw1:trunk",
                            vlan_trunk.token)[1])
    assert again[:len(served)] == served and len(again) >= len(served) + 4
    assert _get(vlan_trunk.base + "/api/pcap?iface=sw1:trunk")[0] == 403


def test_info_lists_every_node(vlan_trunk: Running) -> None:
    info = json.loads(_get(vlan_trunk.base + "/api/info", vlan_trunk.token)[1])
    assert list(info["topology"]["nodes"]) == ["sw1", "sw2", "h1", "h2", "h3", "h4", "r1"]
    assert info["engine"] == "sim" and info["can_trace"] is True


def test_vnetlab_serve_prints_a_url_that_works() -> None:
    """The command itself, as a person runs it: a subprocess, killed in ``finally``."""
    import os
    import select
    import signal
    import subprocess
    import sys
    import time

    proc = subprocess.Popen(
        [sys.executable, "-m", "vnetlab.cli.main", "serve", LAB], stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        assert proc.stdout is not None
        # raw reads of the pipe: a buffered readline could hold the URL line in Python's
        # buffer while select() waits on the (empty) pipe
        seen = b""
        url = ""
        deadline = time.monotonic() + 180  # generous: CI machines run other jobs too
        while not url and time.monotonic() < deadline and proc.poll() is None:
            ready, _, _ = select.select([proc.stdout], [], [], 1)
            if ready:
                seen += os.read(proc.stdout.fileno(), 65536)
                for line in seen.decode(errors="replace").splitlines():
                    if line.startswith("open "):
                        url = line.split()[1]
        assert url.startswith("http://127.0.0.1:") and "/?token=" in url, (
            proc.poll(), seen, proc.stderr.read() if proc.poll() is not None and proc.stderr
            else b"")
        base, _, token = url.partition("/?token=")
        code, body, _ = _get(url)
        assert code == 200 and b"<title>vnetlab" in body
        assert _get(base + "/")[0] == 403
        info = json.loads(_get(base + "/api/info", token)[1])
        assert info["lab"] == "vlan-trunk"
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def test_serve_on_linux_needs_a_lab_that_is_up() -> None:
    from click.testing import CliRunner

    from vnetlab.cli.main import cli

    result = CliRunner().invoke(cli, ["serve", "no-such-lab-xyz", "--engine", "linux"])
    assert result.exit_code == 2
    assert "is not up on the linux engine" in result.stderr


EXAMPLES = sorted(p.name for p in (ROOT / "examples").glob("*.yaml"))


@pytest.mark.parametrize("example", EXAMPLES)
def test_every_example_is_served(example: str) -> None:
    """Each example lab behind the view: the drawing has every node, the state is
    ``show --json``'s shape for every node."""
    from tests.web.weblab import serve_lab

    for run in serve_lab(example):
        info = json.loads(_get(run.base + "/api/info", run.token)[1])
        assert list(info["topology"]["nodes"]) == list(run.session.lab.nodes)
        code, svg, ctype = _get(run.base + "/api/graph.svg", run.token)
        assert code == 200 and ctype.startswith("image/svg+xml")
        assert svg.startswith(b"<svg")
        ids = {g.get("id") for g in ET.fromstring(svg).iter("{http://www.w3.org/2000/svg}g")}
        assert {f"ns:{node}" for node in run.session.lab.nodes} <= ids
        state = json.loads(_get(run.base + "/api/state", run.token)[1])
        assert sorted(state["nodes"]) == sorted(run.session.lab.nodes)
