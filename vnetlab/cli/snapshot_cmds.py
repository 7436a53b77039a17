"""``vnetlab snapshot``: a host's namespaces (live, read only) or a collected directory
-> a lab file (registered on the main group by ``register``)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click


def register(cli: click.Group, *, friendly: Callable[[Any], Any]) -> None:
    @cli.command("snapshot")
    @click.option("--netns", "netns", multiple=True, metavar="NS",
                  help="Read this named network namespace (repeatable; root needed).")
    @click.option("--all-netns", is_flag=True, help="Read every named namespace (ip netns list).")
    @click.option("--host", "host", is_flag=True,
                  help="Read the root namespace too (node \"host\"; read only, never changed).")
    @click.option("--from-dir", "from_dir", type=click.Path(file_okay=False, path_type=Path),
                  help="Read a directory collected by scripts/collect-snapshot.sh (no root).")
    @click.option("--ovs-rundir", "ovs_rundirs", multiple=True, metavar="NS=DIR",
                  help="Live: read the Open vSwitch whose db.sock is in DIR for namespace NS "
                  "(default: host=/var/run/openvswitch when it answers).")
    @click.option("--xfrm", is_flag=True,
                  help="Live: read IPsec states (with their keys) and policies too; the "
                  "lab then holds the keys.")
    @click.option("--name", help="The lab's name (default: the vnetlab lab the namespaces "
                  "belong to, else 'snapshot').")
    @click.option("--strip-prefix", help="Drop this prefix from namespace names to make node "
                  "names (default: vnetlab's own 'vnl-LAB.').")
    @click.option("-o", "output", type=click.Path(dir_okay=False, path_type=Path),
                  help="Write the lab here (default: stdout).")
    @friendly
    def snapshot_cmd(netns: tuple[str, ...], all_netns: bool, host: bool,
                     from_dir: Path | None, ovs_rundirs: tuple[str, ...], xfrm: bool,
                     name: str | None,
                     strip_prefix: str | None, output: Path | None) -> None:
        """Turn a host's networking into a lab file that run/trace/show/lint read offline.

        Live (--netns/--all-netns/--host) reads netlink dumps, never changing anything;
        --from-dir reads the JSON that `ip -j`/`bridge -j`/`ovs-vsctl` printed on the host
        (scripts/collect-snapshot.sh). The file's header lists what a snapshot cannot
        carry (processes, programs behind TUN/TAP devices, learned state, ...)."""
        from vnetlab.cli.errors import report
        from vnetlab.snapshot import DumpError, read_dir, snapshot

        live = bool(netns or all_netns or host)
        if live == (from_dir is not None):
            report("say where to read: --netns NS / --all-netns / --host, or --from-dir DIR "
                   "(not both)", "see `vnetlab snapshot --help`", as_json=False)
        try:
            if from_dir is not None:
                dumps = read_dir(from_dir)
                source = str(from_dir)
            else:
                dumps = _live(netns, all_netns, host, ovs_rundirs, xfrm, report)
                source = ", ".join(d.name for d in dumps)
        except DumpError as e:
            report(str(e), e.hint, as_json=False)
        snap = snapshot(dumps, name=name, strip=strip_prefix, source=source)
        if output is None:
            sys.stdout.write(snap.yaml)
        else:
            output.write_text(snap.yaml, encoding="utf-8")
            click.echo(f"wrote {output}: {len(snap.lab['nodes'])} node(s), "
                       f"{len(snap.notes)} note(s) in its header", err=True)
        # the lab must load as written; a value the dumps held that the lab format
        # refuses is named with its line, so the user can edit it
        from vnetlab.model.errors import LabError
        from vnetlab.model.load import load_lab_text

        try:
            load_lab_text(snap.yaml, str(output or "<stdout>"))
        except LabError as e:
            report(f"the snapshot was written, but the lab loader refuses it:\n{e}",
                   "edit the lines named, or collect again", as_json=False)

    def _live(netns: tuple[str, ...], all_netns: bool, host: bool,
              ovs_rundirs: tuple[str, ...], xfrm: bool,
              report: Callable[..., Any]) -> list[Any]:
        import os

        from vnetlab.snapshot import from_mapping

        if os.geteuid() != 0:
            report("reading namespaces needs root (setns)",
                   "run it as root, or collect with scripts/collect-snapshot.sh and use "
                   "--from-dir on any machine", as_json=False)
        from vnetlab.kernel import dump

        names = list(dict.fromkeys(
            list(netns) + (dump.all_netns() if all_netns else [])))
        missing = [n for n in names if n not in dump.all_netns()]
        if missing:
            report(f"no network namespace {missing[0]!r}",
                   f"known: {', '.join(dump.all_netns()) or 'none'} (ip netns list)",
                   as_json=False)
        if host:
            names = [dump.ROOT, *names]
        rundirs = {}
        for pair in ovs_rundirs:
            ns, sep, d = pair.partition("=")
            if not sep:
                report(f"--ovs-rundir {pair!r} is not NS=DIR", None, as_json=False)
            rundirs[ns] = d
        if host and dump.ROOT not in rundirs and os.path.exists("/var/run/openvswitch/db.sock"):
            rundirs[dump.ROOT] = "/var/run/openvswitch"
        try:
            data = dump.dump_namespaces(names, rundirs, xfrm=xfrm)
        except OSError as e:
            report(f"reading the namespaces failed: {e}", "run it again; namespaces may "
                   "have changed while they were read", as_json=False)
        gone = [n for n in names if n not in data]
        if gone and not all_netns:
            report(f"network namespace {gone[0]!r} went away while it was read", None,
                   as_json=False)
        return [from_mapping(n, d, is_host=n == dump.ROOT) for n, d in data.items()]
