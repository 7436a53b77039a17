"""The web view over a lab that is up on the real kernel (``vnetlab serve --engine linux``).

The lab is brought up by ``vnetlab up`` under a name unique to this run and brought down
in ``finally``, whatever happened; the view attaches to it, and leaves it up when it stops.
Captures are the real ``tcpdump`` in the node's namespace.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
import time
from pathlib import Path

import pytest

from tests.cli.clilab import invoke
from tests.web.test_web_http import _get
from vnetlab.kernel import runtime
from vnetlab.kernel.engine import LinuxEngine
from vnetlab.web.server import prepare
from vnetlab.web.session import LabSession
from vnetlab.wire.pcap import parse_pcap

kernel = pytest.mark.kernel


def _lab(tmp_path: Path, name: str) -> str:
    text = f"""\
name: {name}
nodes:
  host:
    interfaces:
      br0: {{type: bridge, addresses: [10.9.7.1/24]}}
      v0: {{master: br0}}
      v1: {{master: br0}}
  n0:
    interfaces: {{eth0: {{addresses: [10.9.7.2/24]}}}}
  n1:
    interfaces: {{eth0: {{addresses: [10.9.7.3/24]}}}}
links:
  - endpoints: [host:v0, n0:eth0]
  - endpoints: [host:v1, n1:eth0]
checks:
  - ping: n0 -> 10.9.7.3
  - {{fdb: host:br0, mac: n0:eth0, port: v0}}
"""
    p = tmp_path / f"{name}.yaml"
    p.write_text(text)
    return str(p)


@kernel
def test_serve_attaches_to_a_lab_that_is_up(tmp_path: Path) -> None:
    if shutil.which("tcpdump") is None:
        pytest.skip("tcpdump is missing (Debian package tcpdump)")
    name = f"kweb{os.getpid() % 100000}"
    lab = _lab(tmp_path, name)
    code, _, err = invoke("up", lab, "--engine", "linux")
    assert code == 0, err
    try:
        eng = LinuxEngine.attach(name)
        assert eng.lab is not None
        session = LabSession(eng.lab, eng, owns_engine=False)
        served = prepare(session)
        thread = threading.Thread(target=served.run, daemon=True)
        thread.start()
        try:
            deadline = time.monotonic() + 10
            while not served.server.started and time.monotonic() < deadline:
                time.sleep(0.02)
            base, _, token = served.url.partition("/?token=")
            info = json.loads(_get(base + "/api/info", token)[1])
            assert info["engine"] == "linux" and info["can_trace"] is False
            state = json.loads(_get(base + "/api/state", token)[1])
            assert state["engine"] == "linux" and sorted(state["nodes"]) == ["host", "n0", "n1"]
            n0 = {a["cidr"] for a in state["nodes"]["n0"]["addrs"]}
            assert "10.9.7.2/24" in n0
            # a real tcpdump on n0:eth0, real pings, then the download
            code, body, _ = _get(base + "/api/capture", token, body={"iface": "n0:eth0"})
            assert code == 200, body
            ping = json.loads(_get(base + "/api/ping", token,
                                   body={"src": "n0", "dst": "10.9.7.3", "count": 2})[1])
            assert ping["received"] == 2
            report = json.loads(_get(base + "/api/checks", token, body={})[1])
            assert report["engine"] == "linux" and report["ok"], report
            assert report["counts"] == {"pass": 2, "fail": 0, "skip": 0}
            code, data, _ = _get(base + "/api/pcap?iface=n0:eth0", token)
            assert code == 200
            icmp = [f for _, f in parse_pcap(data) if len(f) > 34 and f[12:14] == b"\x08\x00"
                    and f[23] == 1]
            assert len(icmp) >= 6  # 2 pings by hand + the check's, each request and reply
            # the kernel engine cannot trace: the CLI's error object, 400
            code, body, _ = _get(base + "/api/trace", token, body={"from": "n0", "to": "10.9.7.3"})
            assert code == 400 and "cannot trace" in json.loads(body)["error"]
        finally:
            served.stop()
            thread.join(timeout=10)
            session.close()
        # the view did not own the lab: it is still up
        assert runtime.find(name, "vnl-") is not None
    finally:
        if runtime.find(name, "vnl-") is not None:
            invoke("down", name)
    assert runtime.find(name, "vnl-") is None
