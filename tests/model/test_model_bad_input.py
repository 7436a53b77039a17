"""Issue 10: bad lab input is a load error that says where and why, never a traceback."""

from __future__ import annotations

import textwrap
import time

import pytest

from vnetlab.model import LabError, load_lab_text


def errors_of(text: str) -> LabError:
    with pytest.raises(LabError) as info:
        load_lab_text(textwrap.dedent(text).lstrip("\n"), "lab.yaml")
    return info.value


def one(err: LabError, path: str) -> str:
    found = [p for p in err.problems if p.path == path]
    assert found, f"no problem at {path}; got:\n{err}"
    p = found[0]
    return f"{p.line}: {p.message} {p.hint or ''}"


# -- item 1: lo ------------------------------------------------------------------------------


def test_lo_as_interface_is_a_load_error():
    err = errors_of("""
        name: t
        nodes:
          a:
            interfaces:
              lo: {type: bridge}
    """)
    text = one(err, "nodes.a.interfaces.lo")
    assert text.startswith("5: ") and "loopback" in text


def test_an_untyped_lo_is_reported_once_not_also_as_an_unlinked_veth():
    err = errors_of("""
        name: t
        nodes:
          a:
            interfaces:
              lo: {}
    """)
    assert "loopback" in one(err, "nodes.a.interfaces.lo")
    assert len(err.problems) == 1, str(err)


def test_lo_as_link_end_is_a_load_error():
    err = errors_of("""
        name: t
        nodes: {a: {}, b: {}}
        links:
          - endpoints: [a:lo, b:eth0]
    """)
    text = one(err, "links[0].endpoints[0]")
    assert text.startswith("4: ") and "loopback" in text


# -- item 3: huge integers -------------------------------------------------------------------


def test_integer_with_thousands_of_digits():
    err = errors_of("name: t\nnodes:\n  a:\n    interfaces:\n      e0: {type: bridge, mtu: "
                    + "9" * 5000 + "}\n")
    text = one(err, "nodes.a.interfaces.e0.mtu")
    assert text.startswith("5: ") and "5000 digits" in text
    assert len(str(err)) < 1000


def test_huge_integer_as_key_and_in_a_list():
    errors_of("name: t\nnodes: {a: {}}\nlinks: [" + "1" * 5000 + "]\n")
    errors_of("name: t\nnodes: {a: {}}\n" + "1" * 5000 + ": x\n")
    errors_of("name: t\nnodes: {a: {}}\nx: 1:" + "1" * 5000 + "\n")


# -- item 13: what Linux refuses -------------------------------------------------------------


@pytest.mark.parametrize("mac", ["00:00:00:00:00:00", "01:00:5e:00:00:01", "ff:ff:ff:ff:ff:ff"])
def test_zero_and_multicast_macs_refused(mac: str):
    err = errors_of(f"""
        name: t
        nodes:
          a:
            interfaces:
              br0: {{type: bridge, mac: "{mac}"}}
    """)
    assert "Cannot assign requested address" in one(err, "nodes.a.interfaces.br0.mac")


def test_route_metric_above_u32():
    err = errors_of("""
        name: t
        nodes:
          a:
            interfaces: {br0: {type: bridge, addresses: [10.0.0.1/24]}}
            routes: [{dst: 10.1.0.0/16, dev: br0, metric: 4294967296}]
    """)
    assert "4294967295" in one(err, "nodes.a.routes[0].metric")
    load_lab_text(textwrap.dedent("""
        name: t
        nodes:
          a:
            interfaces: {br0: {type: bridge, addresses: [10.0.0.1/24]}}
            routes: [{dst: 10.1.0.0/16, dev: br0, metric: 4294967295}]
    """))


@pytest.mark.parametrize("name", ["ééééééééé", "eth%d", "a%b", "a b", "a/b", "a:b", ".", ".."])
def test_bad_interface_names(name: str):
    err = errors_of(f"""
        name: t
        nodes:
          a:
            interfaces:
              "{name}": {{type: bridge}}
    """)
    assert err.problems and all(p.line == 5 for p in err.problems), str(err)


def test_fifteen_byte_name_accepted():
    load_lab_text("name: t\nnodes: {a: {interfaces: {abcdefghijklmno: {type: bridge}}}}\n")


def test_bridge_port_limit():
    ifaces = "\n".join(f"      d{i}: {{type: dummy, master: br0}}" for i in range(1024))
    err = errors_of("name: t\nnodes:\n  a:\n    interfaces:\n      br0: {type: bridge}\n"
                    + ifaces + "\n")
    text = one(err, "nodes.a.interfaces.d1023.master")
    assert "1024" in text and "1023" in text
    ok = "\n".join(f"      d{i}: {{type: dummy, master: br0}}" for i in range(1023))
    load_lab_text("name: t\nnodes:\n  a:\n    interfaces:\n      br0: {type: bridge}\n"
                  + ok + "\n")


# -- item 14: the alias bomb guard counts aliases, not size ----------------------------------


def test_plain_large_lab_loads_in_reasonable_time():
    n = 8000
    lines = ["name: big", "nodes:", "  host:", "    interfaces:",
             "      br0: {type: bridge, addresses: [10.0.0.1/16]}"]
    lines += [f"      v{i}: {{master: br0}}" for i in range(n)][:0]
    nodes = [f"  c{i}:\n    interfaces: {{eth0: {{addresses: [10.{1 + i // 250}.{i % 250}.2/24], "
             f"mtu: 1500}}}}\n    routes: [{{dst: default, dev: eth0}}]" for i in range(n)]
    links = [f"  - endpoints: [c{i}:eth0, d{i}:eth0]" for i in range(n)]
    text = "\n".join(lines + nodes) + "\n" + "\n".join(
        f"  d{i}: {{}}" for i in range(n)) + "\nlinks:\n" + "\n".join(links) + "\n"
    start = time.monotonic()
    lab = load_lab_text(text)
    assert len(lab.nodes) == 2 * n + 1
    assert time.monotonic() - start < 60


def test_alias_bomb_says_the_limit_and_how_to_raise_it():
    bomb = ["name: t", "a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):
        bomb.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]")
    bomb.append("nodes: {a: {}}")
    err = errors_of("\n".join(bomb) + "\n")
    text = str(err)
    assert "100000" in text and "VNETLAB_MAX_ALIASES" in text


# -- item 15: empty expectations -------------------------------------------------------------


@pytest.mark.parametrize("check,path", [
    ('{trace: a -> 10.0.0.1, verdict: ""}', "checks[0].verdict"),
    ('{ping: a -> 10.0.0.1, error: ""}', "checks[0].error"),
    ('{trace: a -> 10.0.0.1, verdict: "  "}', "checks[0].verdict"),
])
def test_empty_expectation_refused(check: str, path: str):
    err = errors_of(f"""
        name: t
        nodes:
          a:
            interfaces: {{br0: {{type: bridge, addresses: [10.0.0.1/24]}}}}
        checks:
          - {check}
    """)
    assert "empty" in one(err, path)


# -- item 21: sexagesimal MACs and huge scalars ----------------------------------------------


def test_unquoted_mac_read_as_base_60_gets_a_hint():
    err = errors_of("""
        name: t
        nodes:
          a:
            interfaces:
              br0: {type: bridge, mac: 12:34:56:12:34:56}
    """)
    text = one(err, "nodes.a.interfaces.br0.mac")
    assert "quote" in text and '"12:34:56:12:34:56"' in text


def test_huge_scalar_is_truncated_in_errors():
    err = errors_of("name: t\nnodes:\n  a:\n    interfaces:\n      br0: {type: bridge, mac: "
                    + "x" * 100_000 + "}\n")
    assert "nodes.a.interfaces.br0.mac" in str(err)
    assert len(str(err)) < 2000


def test_alias_limit_can_be_raised(monkeypatch: pytest.MonkeyPatch):
    refs = "name: t\nnodes: {a: {}}\nx0: &x0 [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]\n" + "".join(
        f"x{i}: &x{i} [" + ", ".join([f"*x{i - 1}"] * 10) + "]\n" for i in range(1, 4))
    monkeypatch.setenv("VNETLAB_MAX_ALIASES", "100")
    assert "more than 100 values" in str(errors_of(refs))
    monkeypatch.setenv("VNETLAB_MAX_ALIASES", "1000000")
    with pytest.raises(LabError, match="unknown key"):  # loads, then x0.. are unknown keys
        load_lab_text(refs)
    monkeypatch.setenv("VNETLAB_MAX_ALIASES", "lots")
    assert "not a positive whole number" in str(errors_of(refs))


# -- item 12: stacked MTUs, computed in build order ------------------------------------------

_STACK = """
    name: t
    nodes:
      h:
        interfaces:
          eth0: {{mtu: 1400, addresses: [10.0.0.1/24]}}
          v10: {{type: vlan, link: eth0, id: 10, addresses: [10.0.10.1/24]}}
          vx0: {{type: vxlan, id: 5, remote: 10.0.10.2, dev: v10{extra}}}
          mv0: {{type: macvlan, link: vx0}}
          v20: {{type: vlan, link: mv0, id: 20}}
      p:
        interfaces: {{eth0: {{addresses: [10.0.0.2/24]}}}}
    links:
      - endpoints: [h:eth0, p:eth0]
"""


def test_vxlan_over_a_vlan_inherits_the_vlan_mtu():
    lab = load_lab_text(textwrap.dedent(_STACK.format(extra="")))
    ifaces = lab.nodes["h"].interfaces
    assert ifaces["v10"].mtu == 1400
    assert ifaces["vx0"].mtu == 1350  # Linux: lower 1400 - 50 bytes of VXLAN headroom
    assert ifaces["mv0"].mtu == 1350
    assert ifaces["v20"].mtu == 1350


def test_explicit_oversized_vxlan_mtu_over_a_vlan_refused():
    err = errors_of(_STACK.format(extra=", mtu: 1400"))
    text = one(err, "nodes.h.interfaces.vx0.mtu")
    assert "Invalid argument" in text and "1350" in text


# -- item 20: an option the emulator lacks is refused with file:line and YAML path -----------


def test_stp_is_no_longer_refused_by_the_emulator(tmp_path):
    # issue 12: the emulator has STP (tests/stp); a lab with stp: true builds
    from vnetlab.model import BridgeSpec, load_lab
    from vnetlab.sim.build import check_supported

    f = tmp_path / "stp.yaml"
    f.write_text("name: x\nnodes:\n  h:\n    interfaces:\n      br0:\n        type: bridge\n"
                 "        stp: true\n")
    lab = load_lab(f)
    br0 = lab.nodes["h"].interfaces["br0"]
    assert isinstance(br0, BridgeSpec) and br0.stp
    check_supported(lab)


def test_where_falls_back_to_the_path_for_labs_built_in_code():
    from vnetlab.model import lab_where, load_lab_text

    lab = load_lab_text("name: x\nnodes:\n  h: {interfaces: {br0: {type: bridge}}}\n")
    where = lab_where(lab, ("nodes", "h", "interfaces", "br0", "stp"))
    assert where == "<string>:3: nodes.h.interfaces.br0.stp"
    copy = lab.model_copy()
    assert lab_where(copy, ("nodes", "h")) == "nodes.h"


def test_thousands_of_problems_print_the_first_fifty_and_count_the_rest():
    text = "name: t\nnodes: {a: {}}\n" + "".join(f"k{i}: {i}\n" for i in range(5000))
    err = errors_of(text)
    assert len(err.problems) == 5000
    out = str(err)
    assert out.count("unknown key") == 50 and "... and 4950 more problems" in out
    assert len(out) < 50_000


def test_lines_are_editor_lines_even_after_a_yaml_only_line_break():
    # YAML breaks lines at NEL (U+0085) too; grep -n and editors do not
    err = errors_of('name: t\ndescription: "a\x85b\u2028c"\nnodes:\n'
                    '  a: {interfaces: {e0: {mtu: 1}}}\n')
    assert one(err, "nodes.a.interfaces.e0.mtu").startswith("4: ")
