"""The web view in a real browser (Debian's chromium, headless, driven by Playwright).

Each test loads the page the way a person does (the URL ``vnetlab serve`` prints), acts
on it, and reads what the page shows; a screenshot of each lands in pytest's tmp dir.
Skipped, with the reason, only when chromium or the playwright package is missing.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.web.weblab import Running
from vnetlab.tools.graph.dot import PATH_COLOUR

PATH_RGB = "rgb({}, {}, {})".format(*(int(PATH_COLOUR[i:i + 2], 16) for i in (1, 3, 5)))


def _open(page: Any, run: Running) -> None:
    page.goto(run.url)
    page.wait_for_selector("#topology svg g.cluster")
    # the first poll of /api/state has filled the counters
    page.wait_for_selector("#counters-table tbody tr", state="attached")


def test_page_loads_clean_and_shows_every_node(browser_page: Any, vlan_trunk: Running,
                                               tmp_path: Path) -> None:
    page = browser_page
    _open(page, vlan_trunk)
    clusters = page.eval_on_selector_all(
        "#topology svg g.cluster", "els => els.map(e => e.querySelector('title').textContent)")
    assert sorted(c.removeprefix("cluster_") for c in clusters if c != "cluster_legend") == \
        sorted(vlan_trunk.session.lab.nodes)
    devices = page.eval_on_selector_all("#topology svg g.node", "els => els.map(e => e.id)")
    for node, ns in vlan_trunk.session.lab.nodes.items():
        for ifname in ns.interfaces:
            assert f"if:{node}:{ifname}" in devices
    # every interface has a counters row, and the tables tab lists the node's routes
    rows = page.eval_on_selector_all("#counters-table tbody tr", "els => els.map(e => "
                                     "e.dataset.iface)")
    assert "sw1:trunk" in rows and "r1:eth0.200" in rows
    page.click("#tabs button[data-tab=tables]")
    page.select_option("#tables-node", "r1")
    page.wait_for_selector("#routes-table tbody tr")
    assert "10.0.200.0/24 dev eth0.200 proto kernel scope link src 10.0.200.1" in \
        page.inner_text("#routes-table")
    page.screenshot(path=str(tmp_path / "loaded.png"), full_page=True)
    assert page.errors == []


def test_trace_shows_the_verdict_and_highlights_the_path(browser_page: Any,
                                                         vlan_trunk: Running,
                                                         tmp_path: Path) -> None:
    page = browser_page
    _open(page, vlan_trunk)
    page.select_option("#trace-from", "h3")
    page.fill("#trace-to", "10.0.200.12")
    page.click("#trace-run")
    page.wait_for_selector("#trace-verdict.ok")
    assert page.inner_text("#trace-verdict") == "verdict: delivered to h2:eth0 (10.0.200.12)"
    on_path = set(page.eval_on_selector_all("#topology .on-path", "els => els.map(e => e.id)"))
    for want in ("if:h3:eth0", "if:sw2:trunk", "if:sw1:trunk", "if:r1:eth0", "if:h2:eth0",
                 "edge:veth:sw1:trunk--sw2:trunk", "edge:veth:sw1:p2--h2:eth0", "ns:r1"):
        assert want in on_path, want
    assert "if:h1:eth0" not in on_path and "if:h4:eth0" not in on_path
    # drawn, not just tagged: the highlighted edge is stroked in the path colour
    stroke = page.eval_on_selector(
        "[id='edge:veth:sw1:trunk--sw2:trunk'] path", "e => getComputedStyle(e).stroke")
    assert stroke == PATH_RGB
    # every decision of the trace tree is listed; stepping moves the marker hop by hop
    steps = page.eval_on_selector_all("#trace-steps li", "els => els.map(e => e.textContent)")
    assert any("sw1:br0" in s and "fdb hit" in s for s in steps)
    assert any(s.startswith("deliver") and "h2:eth0" in s for s in steps)
    for _ in range(3):
        page.click("#trace-next")
    assert page.inner_text("#trace-pos").startswith("step 3 of ")
    current = page.eval_on_selector_all("#topology .current", "els => els.map(e => e.id)")
    assert current == ["if:h3:eth0"]  # step 3: h3:eth0: veth -> sw2:p1
    page.screenshot(path=str(tmp_path / "trace.png"), full_page=True)
    assert page.errors == []


def test_dropped_trace_shows_a_red_verdict(browser_page: Any, vlan_trunk: Running) -> None:
    page = browser_page
    _open(page, vlan_trunk)
    page.select_option("#trace-from", "h1")
    page.fill("#trace-to", "10.0.100.14")  # h4's address in VLAN 100's subnet, VLAN 200
    page.click("#trace-run")
    page.wait_for_selector("#trace-verdict.bad")
    assert page.inner_text("#trace-verdict").startswith("verdict: dropped")
    assert page.errors == []


def test_check_run_shows_pass(browser_page: Any, vlan_trunk: Running, tmp_path: Path) -> None:
    page = browser_page
    _open(page, vlan_trunk)
    page.click("#tabs button[data-tab=checks]")
    page.click("#checks-run")
    page.wait_for_selector("#checks-summary.PASS", timeout=60_000)
    assert page.inner_text("#checks-summary") == \
        "all checks passed: 16 passed, 0 failed, 0 skipped"
    verdicts = page.eval_on_selector_all("#checks-table tbody tr td:nth-child(4)",
                                         "els => els.map(e => e.textContent)")
    assert verdicts == ["PASS"] * len(vlan_trunk.session.lab.checks)
    page.screenshot(path=str(tmp_path / "checks.png"), full_page=True)
    assert page.errors == []


def test_counters_follow_traffic_and_pcap_downloads(browser_page: Any, vlan_trunk: Running,
                                                    tmp_path: Path) -> None:
    page = browser_page
    _open(page, vlan_trunk)
    page.click("#tabs button[data-tab=counters]")

    def tx(iface: str) -> int:
        return int(page.inner_text(f"#counters-table tr[data-iface='{iface}'] td:nth-child(4)"))

    before = tx("h1:eth0")
    page.click("#counters-table tr[data-iface='h1:eth0'] button")
    page.wait_for_selector("#counters-table tr[data-iface='h1:eth0'] a")
    page.click("#tabs button[data-tab=ping]")
    page.select_option("#ping-from", "h1")
    page.fill("#ping-to", "10.0.100.13")
    page.fill("#ping-count", "3")
    page.click("#ping-form button")
    page.wait_for_function("document.getElementById('ping-out').textContent"
                           ".includes('packets transmitted')")
    assert "3 packets transmitted, 3 received, 0% packet loss" in page.inner_text("#ping-out")
    page.click("#tabs button[data-tab=counters]")
    # the poll picks the new counters up: ARP request + 3 echo requests at least
    page.wait_for_function(
        "n => Number(document.querySelector(\"#counters-table tr[data-iface='h1:eth0'] "
        "td:nth-child(4)\").textContent) >= n", arg=before + 4, timeout=10_000)
    state = json.loads(page.evaluate(
        "fetch('api/state', {headers: {'X-Vnetlab-Token': document.body.dataset.token}})"
        ".then(r => r.text())"))
    h1 = next(ln for ln in state["nodes"]["h1"]["links"] if ln["ifname"] == "eth0")
    assert tx("h1:eth0") <= h1["stats"]["tx_packets"]
    # the drawing's tooltip of the device carries the same counters
    tip = page.get_attribute("[id='a_if:h1:eth0'] > a", "xlink:title")
    st = h1["stats"]
    assert tip == (f"h1:eth0 UP: rx {st['rx_packets']} pkts, tx {st['tx_packets']} pkts, "
                   f"dropped {st['rx_dropped']}/{st['tx_dropped']}")
    # a click on a device in the drawing picks its counters row
    page.click("[id='if:h2:eth0']")
    assert page.get_attribute("#counters-table tr.picked", "data-iface") == "h2:eth0"
    page.wait_for_timeout(1500)  # a poll later the row is still the one picked
    assert page.get_attribute("#counters-table tr.picked", "data-iface") == "h2:eth0"
    with page.expect_download() as dl:
        page.click("#counters-table tr[data-iface='h1:eth0'] a")
    path = tmp_path / "h1-eth0.pcap"
    dl.value.save_as(path)
    from vnetlab.wire.pcap import read_pcap

    frames = read_pcap(path)
    assert len(frames) >= 7  # ARP request and reply, 3 echo requests and replies
    page.screenshot(path=str(tmp_path / "counters.png"), full_page=True)
    assert page.errors == []


def test_the_page_needs_the_token(browser_page: Any, vlan_trunk: Running) -> None:
    page = browser_page
    response = page.goto(vlan_trunk.base + "/")
    assert response is not None and response.status == 403
    assert "token" in page.inner_text("body")
    response = page.goto(vlan_trunk.base + "/?token=" + "x" * len(vlan_trunk.token))
    assert response is not None and response.status == 403
    response = page.goto(vlan_trunk.url)
    assert response is not None and response.status == 200


@pytest.mark.parametrize("example", ["k8s-flannel.yaml", "ovs-vxlan.yaml",
                                     "security-vf-isolation.yaml", "vpn-tun.yaml"])
def test_other_labs_load_clean(browser_page: Any, example: str, tmp_path: Path) -> None:
    """Overlays, OVS with a TAP program, SR-IOV, TUN devices: each page loads without a
    console error and draws every node and device."""
    from tests.web.weblab import serve_lab

    page = browser_page
    for run in serve_lab(example):
        _open(page, run)
        clusters = page.eval_on_selector_all("#topology svg g.cluster", "els => els.map(e => e.id)")
        assert {f"ns:{n}" for n in run.session.lab.nodes} <= set(clusters)
        devices = set(page.eval_on_selector_all("#topology svg g.node",
                                                "els => els.map(e => e.id)"))
        assert {f"if:{n}:{i}" for n, ns in run.session.lab.nodes.items()
                for i in ns.interfaces} <= devices
        page.screenshot(path=str(tmp_path / f"{example}.png"), full_page=True)
    assert page.errors == []
