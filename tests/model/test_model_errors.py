"""Every kind of bad input names its YAML path and line, and says what is wrong."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from vnetlab.model import LabError, Problem, load_lab, load_lab_text


def errors_of(text: str) -> LabError:
    with pytest.raises(LabError) as info:
        load_lab_text(textwrap.dedent(text).lstrip("\n"), "lab.yaml")
    return info.value


def problem(err: LabError, path: str) -> Problem:
    found = [p for p in err.problems if p.path == path]
    assert found, f"no problem at {path}; got:\n{err}"
    return found[0]


def assert_reported(err: LabError, path: str, line: int, *words: str) -> Problem:
    p = problem(err, path)
    assert p.line == line, str(err)
    text = str(err)
    assert f"lab.yaml:{line}: {path}: " in text, text
    for word in words:
        assert word in p.message or word in (p.hint or ""), text
    return p


def test_unknown_key_lists_known_keys_and_suggests_one():
    err = errors_of("""
        name: t
        nodes:
          a:
            interfaces:
              eth0: {adresses: [10.0.0.1/24]}
        links:
          - endpoints: [a:eth0, a:eth1]
    """)
    p = assert_reported(err, "nodes.a.interfaces.eth0.adresses", 5, "unknown key 'adresses'")
    assert "known keys: addresses, mtu, mac" in p.message
    assert p.hint == "did you mean 'addresses'?"
    assert "  hint: did you mean 'addresses'?" in str(err)


def test_bridge_key_on_untyped_interface_suggests_type():
    err = errors_of("""
        name: t
        nodes:
          a:
            interfaces:
              br0: {ageing_time: 30}
    """)
    p = assert_reported(err, "nodes.a.interfaces.br0.ageing_time", 5, "unknown key")
    assert "type: bridge" in (p.hint or "")


def test_dangling_master():
    err = errors_of("""
        name: t
        nodes:
          a:
            interfaces:
              br0: {type: bridge}
              veth0: {master: bro}
        links:
          - endpoints: [a:veth0, a:veth1]
    """)
    p = assert_reported(err, "nodes.a.interfaces.veth0.master", 6, "'bro'", "not an interface")
    assert p.hint == "did you mean 'br0'?"


def test_master_must_be_a_bridge_and_bridges_do_not_nest():
    err = errors_of("""
        name: t
        nodes:
          a:
            interfaces:
              br0: {type: bridge, master: br1}
              br1: {type: bridge}
              veth0: {master: veth1}
              veth1: {}
        links:
          - endpoints: [a:veth0, a:veth1]
    """)
    assert_reported(err, "nodes.a.interfaces.br0.master", 5, "Can not enslave a bridge")
    assert_reported(err, "nodes.a.interfaces.veth0.master", 7, "not a bridge")


def test_dangling_link_node():
    err = errors_of("""
        name: t
        nodes:
          host: {}
          a: {}
        links:
          - endpoints: [host:veth0, a:eth0]
          - endpoints: [host:veth1, hots:eth0]
    """)
    p = assert_reported(err, "links[1].endpoints[1]", 7, "node 'hots'", "not in nodes")
    assert p.hint == "did you mean 'host'?"


def test_endpoint_in_two_links_and_link_to_itself():
    err = errors_of("""
        name: t
        nodes:
          a: {}
          b: {}
        links:
          - endpoints: [a:eth0, b:eth0]
          - endpoints: [a:eth0, b:eth1]
          - endpoints: [b:x, b:x]
    """)
    assert_reported(err, "links[1].endpoints[0]", 7, "already an end of links[0] on line 6")
    assert_reported(err, "links[2].endpoints[1]", 8, "both ends")


def test_veth_end_without_link():
    err = errors_of("""
        name: t
        nodes:
          a:
            interfaces:
              eth0: {addresses: [10.0.0.1/24]}
              eth1: {addresses: [10.0.1.1/24]}
          b: {}
        links:
          - endpoints: [a:eth0, b:eth0]
    """)
    p = assert_reported(
        err, "nodes.a.interfaces.eth1", 6, "interface eth1 of node a is not created by any link"
    )
    assert "a:eth0" in (p.hint or "") and "type: bridge" in (p.hint or "")
    assert len(err.problems) == 1


def test_bridge_cannot_be_a_link_end():
    err = errors_of("""
        name: t
        nodes:
          a: {interfaces: {br0: {type: bridge}}}
          b: {}
        links:
          - endpoints: [a:br0, b:eth0]
    """)
    assert_reported(err, "nodes.a.interfaces.br0", 3, "has type bridge", "links[0]")


def test_duplicate_ip_names_both_places():
    err = errors_of("""
        name: t
        nodes:
          a:
            interfaces:
              eth0: {addresses: [10.0.0.1/24]}
          b:
            interfaces:
              eth0:
                addresses:
                  - 10.0.0.2/24
                  - 10.0.0.1/24
        links:
          - endpoints: [a:eth0, b:eth0]
    """)
    p = assert_reported(err, "nodes.b.interfaces.eth0.addresses[1]", 11, "10.0.0.1")
    assert "a:eth0 and b:eth0" in p.message
    assert "nodes.a.interfaces.eth0.addresses[0] on line 5" in p.message


def test_duplicate_mac_names_both_places():
    err = errors_of("""
        name: t
        nodes:
          a:
            interfaces:
              eth0: {mac: "02:00:00:00:00:01"}
          b:
            interfaces:
              eth0: {mac: "02:00:00:00:00:01"}
        links:
          - endpoints: [a:eth0, b:eth0]
    """)
    p = assert_reported(err, "nodes.b.interfaces.eth0.mac", 8, "02:00:00:00:00:01")
    assert "a:eth0 and b:eth0" in p.message and "line 5" in p.message


def test_bad_cidr():
    err = errors_of("""
        name: t
        nodes:
          a:
            interfaces:
              eth0:
                addresses: [192.168.1.300/24]
        links:
          - endpoints: [a:eth0, a:eth1]
    """)
    assert_reported(
        err,
        "nodes.a.interfaces.eth0.addresses[0]",
        6,
        "'192.168.1.300/24' is not an IPv4 address in CIDR form like 10.0.0.1/24",
    )
    assert str(err).startswith(
        "lab.yaml:6: nodes.a.interfaces.eth0.addresses[0]: '192.168.1.300/24' is not an IPv4 "
        "address in CIDR form like 10.0.0.1/24"
    )


def test_address_without_prefix():
    err = errors_of("""
        name: t
        nodes:
          a:
            interfaces:
              eth0:
                addresses:
                  - 10.0.0.1/24
                  - 10.0.0.2
        links:
          - endpoints: [a:eth0, a:eth1]
    """)
    assert_reported(
        err, "nodes.a.interfaces.eth0.addresses[1]", 8, "no prefix length", "10.0.0.2/24"
    )


def test_interface_name_of_16_chars():
    err = errors_of("""
        name: t
        nodes:
          a:
            interfaces:
              eth0123456789abc: {type: bridge}
    """)
    assert_reported(err, "nodes.a.interfaces.eth0123456789abc", 5, "16 characters", "at most 15")


def test_endpoint_name_of_16_chars():
    err = errors_of("""
        name: t
        nodes: {a: {}, b: {}}
        links:
          - endpoints: [a:eth0, b:veth0123456789ab]
    """)
    assert_reported(err, "links[0].endpoints", 4, "16 characters")


def test_duplicate_yaml_key():
    err = errors_of("""
        name: t
        nodes:
          a:
            interfaces:
              br0: {type: bridge}
              br0: {type: bridge, stp: true}
    """)
    p = assert_reported(err, "nodes.a.interfaces.br0", 6, "duplicate key 'br0'", "line 5")
    assert p.hint


def test_duplicate_top_level_key():
    err = errors_of("""
        name: t
        nodes: {a: {}}
        name: u
    """)
    assert_reported(err, "name", 3, "duplicate key 'name'")


def test_yaml_syntax_error():
    err = errors_of("""
        name: t
        nodes:
          a: {interfaces: {eth0: {mtu: 1500}
          b: {}
    """)
    p = err.problems[0]
    assert p.line is not None and 3 <= p.line <= 5
    assert "YAML syntax error" in p.message
    assert str(err).startswith(f"lab.yaml:{p.line}: YAML syntax error")


def test_yaml_tab_indent_has_hint():
    with pytest.raises(LabError) as info:
        load_lab_text("name: t\nnodes:\n\ta: {}\n", "lab.yaml")
    assert info.value.problems[0].line == 3
    assert "tabs" in (info.value.problems[0].hint or "")


def test_invalid_gateway():
    err = errors_of("""
        name: t
        nodes:
          a:
            interfaces: {eth0: {addresses: [10.0.0.2/24]}}
            routes:
              - {dst: default, via: 10.9.9.9}
          b:
            interfaces: {eth0: {addresses: [10.0.0.1/24]}}
        links:
          - endpoints: [a:eth0, b:eth0]
    """)
    assert_reported(
        err, "nodes.a.routes[0].via", 6, "10.9.9.9", "Nexthop has invalid gateway", "10.0.0.0/24"
    )


def test_gateway_must_be_on_the_given_dev_and_routes_unique():
    err = errors_of("""
        name: t
        nodes:
          a:
            interfaces:
              eth0: {addresses: [10.0.0.2/24]}
              eth1: {addresses: [10.0.1.2/24]}
            routes:
              - {dst: 10.5.0.0/16, via: 10.0.1.1, dev: eth0}
              - {dst: 10.6.0.0/16, via: 10.0.1.1}
              - {dst: 10.6.0.0/16, via: 10.0.0.1}
              - {dst: 10.7.0.0/16, dev: eth9}
          b: {}
        links:
          - endpoints: [a:eth0, b:eth0]
          - endpoints: [a:eth1, b:eth1]
    """)
    assert_reported(err, "nodes.a.routes[0].via", 8, "dev eth0", "invalid gateway")
    assert_reported(err, "nodes.a.routes[2]", 10, "File exists", "routes[1] on line 9")
    assert_reported(err, "nodes.a.routes[3].dev", 11, "'eth9'")


def test_bad_check_arrow():
    err = errors_of("""
        name: t
        nodes: {a: {}}
        checks:
          - ping: a -> 10.0.0.1
          - ping: a => 10.0.0.2
    """)
    assert_reported(err, "checks[1].ping", 5, "'a => 10.0.0.2' is not 'NODE -> IP'")


def test_check_with_unknown_kind_and_string_check():
    err = errors_of("""
        name: t
        nodes: {a: {}}
        checks:
          - pnig: a -> 10.0.0.1
          - ping a -> 10.0.0.1
    """)
    p = assert_reported(err, "checks[0]", 4, "one of the keys ping, trace, fdb, frames")
    assert p.hint == "did you mean 'ping'?"
    p = assert_reported(err, "checks[1]", 5, "is a mapping")
    assert "'ping: a -> 10.0.0.1'" in (p.hint or "")


def test_check_references():
    err = errors_of("""
        name: t
        nodes:
          a:
            interfaces:
              br0: {type: bridge}
              p0: {master: br0}
          b: {}
        links:
          - endpoints: [a:p0, b:eth0]
        checks:
          - {trace: c -> 10.0.0.1, verdict: delivered}
          - {fdb: a:p0, mac: b:eth0}
          - {fdb: a:br0, mac: b:eth9, port: p1}
          - {frames: b:eth1, match: {src: a:p0, dst: nonsense}}
    """)
    assert_reported(err, "checks[0].trace", 11, "node 'c'")
    assert_reported(err, "checks[1].fdb", 12, "not a bridge")
    assert_reported(err, "checks[2].mac", 13, "'eth9'")
    assert_reported(err, "checks[2].port", 13, "not a port of bridge a:br0")
    assert_reported(err, "checks[3].frames", 14, "'eth1'")
    assert_reported(err, "checks[3].match.dst", 14, "'nonsense'")


def test_fdb_entry_dev_must_be_a_port():
    err = errors_of("""
        name: t
        nodes:
          a:
            interfaces:
              br0:
                type: bridge
                fdb:
                  - {mac: "02:00:00:00:00:0a", dev: p0}
              p0: {}
          b: {}
        links:
          - endpoints: [a:p0, b:eth0]
    """)
    p = assert_reported(err, "nodes.a.interfaces.br0.fdb[0].dev", 8, "not a port of br0")
    assert "master: br0" in (p.hint or "")


def test_unknown_sysctl():
    err = errors_of("""
        name: t
        nodes:
          a:
            sysctls:
              net.ipv4.ip_forwarding: 1
    """)
    p = assert_reported(
        err, 'nodes.a.sysctls["net.ipv4.ip_forwarding"]', 5, "not one vnetlab models"
    )
    assert p.hint == "did you mean 'net.ipv4.ip_forward'?"


def test_missing_required_key_and_bad_lab_name():
    err = errors_of("""
        description: no name
        nodes: {a: {}}
    """)
    p = problem(err, "")
    assert p.message == "missing required key 'name'" and p.line == 1
    err = errors_of("""
        name: My Lab
        nodes: {a: {}}
    """)
    assert_reported(err, "name", 1, "'My Lab'")


def test_unknown_interface_type():
    err = errors_of("""
        name: t
        nodes:
          a:
            interfaces:
              br0:
                type: brige
    """)
    p = assert_reported(err, "nodes.a.interfaces.br0.type", 6, "'brige'", "veth, bridge")
    assert p.hint == "did you mean 'bridge'?"


def test_yes_is_a_boolean_hint():
    err = errors_of("""
        name: t
        nodes: {a: {}}
        checks:
          - {ping: a -> 10.0.0.1, expect: yes}
    """)
    p = assert_reported(err, "checks[0].expect", 4, "not one of")
    assert "yes/no" in (p.hint or "")


def test_all_problems_are_reported_at_once():
    err = errors_of("""
        name: t
        nodes:
          a:
            interfaces:
              eth0: {addresses: [10.0.0.300/24], mtu: 10, adresses: []}
    """)
    paths = {p.path for p in err.problems}
    assert {
        "nodes.a.interfaces.eth0.addresses[0]",
        "nodes.a.interfaces.eth0.mtu",
        "nodes.a.interfaces.eth0.adresses",
    } <= paths
    assert all(p.line == 5 for p in err.problems)


def test_top_level_must_be_a_mapping():
    err = errors_of("""
        - name: t
    """)
    assert "top level must be a mapping" in str(err)
    assert err.problems[0].line == 1


@pytest.mark.parametrize("text", ["", "# only a comment\n"])
def test_empty_file(text):
    with pytest.raises(LabError, match="empty"):
        load_lab_text(text, "lab.yaml")


def test_missing_file(tmp_path: Path):
    missing = tmp_path / "nope.yaml"
    with pytest.raises(LabError) as info:
        load_lab(missing)
    assert info.value.source == str(missing)
    assert "no such file" in str(info.value)


def test_not_utf8(tmp_path: Path):
    f = tmp_path / "lab.yaml"
    f.write_bytes(b"name: \xff\n")
    with pytest.raises(LabError, match="UTF-8"):
        load_lab(f)


def test_python_tags_are_refused():
    with pytest.raises(LabError, match="constructor"):
        load_lab_text("name: !!python/object/apply:os.system [echo hi]\nnodes: {a: {}}\n")


def test_billion_laughs_is_refused():
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 10):
        refs = ", ".join([f"*a{i - 1}"] * 10)
        lines.append(f"a{i}: &a{i} [{refs}]")
    with pytest.raises(LabError, match="expands"):
        load_lab_text("\n".join(lines) + "\n")
