"""``run_vsctl`` behaviours the oracle sequences do not cover: waiting for (emulated)
ovs-vswitchd, atomic ``--`` chains, dry runs, warnings, ``--oneline``, exit codes."""

from __future__ import annotations

from vnetlab.ovsdb.db import Database
from vnetlab.ovsdb.vsctl import run_vsctl


def test_a_failing_command_undoes_the_whole_chain() -> None:
    db = Database()
    res = run_vsctl(db, ["--no-wait", "add-br", "br0", "--", "add-port", "br0", "p1", "--",
                         "add-port", "nope", "p2"])
    assert (res.stdout, res.stderr, res.status) == ("", "ovs-vsctl: no bridge named nope\n", 1)
    assert db.rows("Bridge") == [] and db.seqno == 0
    ok = run_vsctl(db, ["--no-wait", "add-br", "br0", "--", "list-br"])
    assert (ok.stdout, ok.status) == ("br0\n", 0)


def test_br_exists_exits_2_and_prints_nothing() -> None:
    db = Database()
    res = run_vsctl(db, ["list-br", "--", "br-exists", "nope"])
    assert (res.stdout, res.stderr, res.status) == ("", "", 2)


def test_waiting_bumps_next_cfg_and_runs_vswitchd() -> None:
    db = Database()
    calls: list[int] = []

    def reconfigure() -> None:
        (ovs,) = db.rows("Open_vSwitch")
        calls.append(int(ovs["next_cfg"]))  # type: ignore[arg-type]
        with db.transaction() as txn:
            txn.write(ovs, "cur_cfg", ovs["next_cfg"])
            for iface in db.rows("Interface"):
                if iface["name"] == "ghost":
                    txn.write(iface, "ofport", [-1])
                    txn.write(iface, "error", ["could not open network device ghost (No such "
                                               "device)"])
                elif iface.opt("ofport") is None:
                    txn.write(iface, "ofport", [len(calls)])

    res = run_vsctl(db, ["add-br", "br0"], reconfigure=reconfigure)
    assert res.status == 0 and calls == [1]
    res = run_vsctl(db, ["list-br"], reconfigure=reconfigure)  # nothing changed: no wait
    assert calls == [1]
    res = run_vsctl(db, ["add-port", "br0", "ghost"], reconfigure=reconfigure)
    assert calls == [1, 2]
    assert res.status == 0
    assert res.stderr == (
        "ovs-vsctl: Error detected while setting up 'ghost': could not open network device "
        "ghost (No such device).  See ovs-vswitchd log for details.\n"
        'ovs-vsctl: The default log directory is "/var/log/openvswitch".\n')
    run_vsctl(db, ["--no-wait", "add-port", "br0", "p2"], reconfigure=reconfigure)
    assert calls == [1, 2]


def test_dry_run_prints_but_changes_nothing() -> None:
    db = Database()
    run_vsctl(db, ["--no-wait", "add-br", "br0"])
    res = run_vsctl(db, ["--no-wait", "--dry-run", "--", "--id=@m", "create", "Mirror",
                         "name=m", "--", "set", "Bridge", "br0", "mirrors=@m"])
    assert res.status == 0 and len(res.stdout.strip()) == 36
    assert db.rows("Mirror") == []


def test_warnings_carry_the_time_and_the_module() -> None:
    db = Database()
    res = run_vsctl(db, ["--no-wait", "create", "Mirror", "name=m"], now=86400.5)
    assert res.stderr == ('1970-01-02T00:00:00Z|00002|db_ctl_base|WARN|applying "create" '
                          "command to table Mirror without --id option will have no effect\n")


def test_oneline_escapes_newlines_and_backslashes() -> None:
    db = Database()
    run_vsctl(db, ["--no-wait", "add-br", "br0", "--", "add-br", "br1", "--", "br-set-external-id",
                   "br0", "k", "a\\b"])
    res = run_vsctl(db, ["--oneline", "list-br", "--", "br-get-external-id", "br0", "k"])
    assert res.stdout == "br0\\nbr1\n" + "a\\\\b\n"


def test_program_name_and_version() -> None:
    db = Database()
    assert run_vsctl(db, ["ovs-vsctl", "--no-wait", "add-br", "b"]).status == 0
    assert run_vsctl(db, ["--version"]).stdout == ("ovs-vsctl (Open vSwitch) 3.1.0\n"
                                                   "DB Schema 8.3.1\n")


def test_bad_input_never_raises() -> None:
    """Odd arguments end in a status, never in an exception (their exact texts are held
    to the real ovs-vsctl by the "bad_input" sequence)."""
    db = Database()
    run_vsctl(db, ["--no-wait", "add-br", "br0"])
    for argv in (["set", "Bridge", "br0", 'other_config:x="\\ud800"'],
                 ["set", "Bridge", "br0", 'other_config:x="\\udc00"'],
                 ["set", "Bridge", "br0", 'other_config:x="\\ud800\\u0041"'],
                 ["set", "Bridge", "br0", "other_config:x\\"], ["get", "Bridge", "\\"],
                 ["--columns=,", "list", "Bridge"], ["set", "Port", "br0", "trunks=1-"],
                 ["find", "Port", "trunks{in}1-2"], ["--timeout", "x", "list-br"],
                 ["--max-column-width=x", "-f", "table", "list", "Port"]):
        res = run_vsctl(db, argv)
        assert res.status in (0, 1), argv
        assert res.status == 0 or res.stderr.startswith("ovs-vsctl: "), argv
