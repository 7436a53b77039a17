"""Commands for labs that stay up on the real kernel: ``up``, ``down``, ``status``, ``gc``,
``exec``.

Design note
-----------
The emulator's labs live only inside one command (``run``/``show``/``ping``/``trace``); on
the linux engine ``up`` builds a *persistent* lab (its record says so, so ``gc`` leaves it
alone while it is up) and later commands find it by name through its ownership record
(``LinuxEngine.attach``). Registered explicitly from ``vnetlab.cli.main`` (``register``);
errors are one paragraph and exit status 2, like every other command.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from vnetlab.cli.console import LazyConsole
from vnetlab.engine import ENGINE_NAMES, EngineError

SIM_NOT_PERSISTENT = (
    "the emulator has no persistent labs: an emulated lab lives only inside one command. "
    "Use `vnetlab run LAB` (checks), `vnetlab show LAB` (state), `vnetlab ping LAB NODE IP` "
    "or `vnetlab trace LAB --from NODE --to IP`; or `vnetlab up LAB --engine linux` for a "
    "lab that stays up on the real kernel"
)


def lab_name_of(arg: str) -> str:
    """A lab name, or a lab file (its ``name:``)."""
    p = Path(arg)
    if p.suffix in (".yaml", ".yml", ".json") or p.is_file():
        from vnetlab.model import load_lab

        return load_lab(p).name
    return arg


def _oserror(fn: Callable[..., Any]) -> Callable[..., Any]:
    """OS errors (permissions, a missing /run) become an EngineError the CLI prints."""

    def wrapper(*args: Any, **kw: Any) -> Any:
        try:
            return fn(*args, **kw)
        except OSError as e:
            raise EngineError(f"{e.strerror or e}" + (f": {e.filename}" if e.filename else ""),
                              hint="the linux engine needs root") from None

    wrapper.__name__ = fn.__name__
    wrapper.__doc__ = fn.__doc__
    return wrapper


def _need_root(what: str) -> None:
    from vnetlab.kernel.engine import require_root

    require_root(f"`vnetlab {what}` on the linux engine")


def register(cli: click.Group, *, friendly: Callable[[Any], Any], console: LazyConsole) -> None:
    """Add the linux-lab commands to ``cli`` (called once by ``vnetlab.cli.main``)."""

    @cli.command()
    @click.argument("lab", type=click.Path(dir_okay=False, path_type=Path))
    @click.option("--engine", type=click.Choice(ENGINE_NAMES), default="sim",
                  show_default=True,
                  help="linux: build LAB on the real kernel and leave it up.")
    @click.option("--dry-run", is_flag=True,
                  help="Print the plan as a shell script of ip/bridge commands; build nothing.")
    @friendly
    @_oserror
    def up(lab: Path, engine: str, dry_run: bool) -> None:
        """Bring LAB up on the linux engine and leave it running (`vnetlab down` ends it)."""
        from vnetlab.kernel.plan import plan_script
        from vnetlab.model import load_lab

        spec = load_lab(lab)
        if engine == "sim":
            raise EngineError(SIM_NOT_PERSISTENT)
        if dry_run:
            from vnetlab.model.loops import find_loops, loop_refusal

            script = plan_script(spec)
            loops = find_loops(spec)
            if loops:  # named before anything is built; `up` itself refuses (kernel.storm)
                head, _, rest = script.partition("\n")
                warn = f"# WARNING: {loop_refusal(loops)}; `vnetlab up` refuses it"
                script = f"{head}\n{warn}\n{rest}"
            if os.geteuid() == 0:  # probing the kernel's features needs a namespace
                from vnetlab.kernel import features
                from vnetlab.kernel.plan import required_features

                missing = features.unsupported_kinds(required_features(spec))
                if missing:
                    notes = "".join(f"# WARNING: this host cannot build {k}: {v}\n"
                                    for k, v in sorted(missing.items()))
                    head, _, rest = script.partition("\n")
                    script = f"{head}\n{notes}{rest}"
            click.echo(script, nl=False)
            return
        from vnetlab.kernel.engine import LinuxEngine

        eng = LinuxEngine(persistent=True)
        eng.realize(spec)
        assert eng.record is not None
        console.print(f"lab {spec.name!r} is up on the linux engine "
                      f"({len(eng.record.namespaces)} namespaces):", markup=False)
        for node, ns in eng.record.namespaces.items():
            click.echo(f"  {node}: {ns}")
        click.echo(f"poke it: vnetlab exec {spec.name} NODE -- CMD...; "
                   f"remove it: vnetlab down {spec.name}")

    @cli.command()
    @click.argument("lab")
    @friendly
    @_oserror
    def down(lab: str) -> None:
        """Remove a lab brought up with `vnetlab up` (LAB: its name or its file)."""
        from vnetlab.kernel.engine import down as kernel_down

        name = lab_name_of(lab)
        _need_root("down")
        removed, lingering = kernel_down(name)
        click.echo(f"lab {name!r} is down ({len(removed)} namespaces removed)")
        for ns, pids in lingering.items():
            click.echo(f"warning: still running in {ns} (started with `vnetlab exec`?): pid "
                       f"{', '.join(map(str, pids))} — they keep that namespace alive; stop "
                       "them yourself (vnetlab stops only processes it started)", err=True)

    @cli.command()
    @click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
    @friendly
    @_oserror
    def status(as_json: bool) -> None:
        """Labs on the linux engine: up, being built, or dead leftovers for `vnetlab gc`."""
        from vnetlab.kernel import gc as kgc
        from vnetlab.kernel.engine import status as kernel_status

        recs = kernel_status()
        rows: list[dict[str, Any]] = []
        for r in recs:
            present = sum(1 for ns in r.namespaces.values() if os.path.exists(f"/run/netns/{ns}"))
            rows.append({
                "lab": r.lab, "status": r.status, "persistent": r.persistent, "pid": r.pid,
                "owner_alive": r.owner_alive(), "dead": r.is_dead(),
                "namespaces": r.namespaces, "present": present,
            })
        orphans = kgc.orphans()
        if as_json:
            click.echo(json.dumps({"labs": rows, "orphans": orphans}, indent=2))
            return
        if not rows:
            click.echo("no labs on the linux engine")
        for row in rows:
            state = "dead (run `vnetlab gc`)" if row["dead"] else row["status"]
            click.echo(f"{row['lab']}: {state}, {row['present']}/{len(row['namespaces'])} "
                       f"namespaces, pid {row['pid']}"
                       + (", persistent" if row["persistent"] else ""))
        for o in orphans:
            click.echo(f"orphan namespace (no lab record; not removed by gc): {o}")

    @cli.command()
    @click.option("--dry-run", is_flag=True, help="Only list what would be removed.")
    @friendly
    @_oserror
    def gc(dry_run: bool) -> None:
        """Remove the leftovers of dead labs (crashed or killed runs), and nothing else."""
        from vnetlab.kernel import gc as kgc

        _need_root("gc")
        cands = kgc.candidates()
        for rec, verdicts in cands:
            for c in kgc.pf_claims(rec):  # put back before the namespaces go
                verb = "would restore" if dry_run else "restoring"
                click.echo(f"{verb} {c.pf}'s sriov_numvfs {c.numvfs} -> {c.original} "
                           f"(lab {rec.lab})")
            for v in verdicts:
                if v.owned:
                    verb = "would remove" if dry_run else "removing"
                    click.echo(f"{verb} {v.ns} (lab {rec.lab}, {rec.status}, pid {rec.pid} "
                               "gone)")
                elif v.reason != "already gone":
                    click.echo(f"leaving {v.ns} alone: {v.reason}")
        removed = [] if dry_run else kgc.gc()
        for o in kgc.orphans():
            click.echo(f"orphan namespace (no lab record, never removed by gc): {o}")
        if dry_run:
            n = sum(1 for _, vs in cands for v in vs if v.owned)
            click.echo(f"{n} namespaces of {len(cands)} dead labs would be removed")
        else:
            click.echo(f"removed {len(removed)} namespaces of {len(cands)} dead labs")

    @cli.command(context_settings={"ignore_unknown_options": True,
                                   "allow_interspersed_args": False})
    @click.argument("lab")
    @click.argument("node")
    @click.argument("argv", nargs=-1, required=True, type=click.UNPROCESSED)
    @friendly
    @_oserror
    def exec(lab: str, node: str, argv: tuple[str, ...]) -> None:  # noqa: A001 - the verb
        """Run a real program in NODE's namespace of a lab that is up: LAB NODE -- CMD...

        Exits with the program's exit status.
        """
        from vnetlab.kernel.engine import LinuxEngine

        name = lab_name_of(lab)
        _need_root("exec")
        args = list(argv)
        if args and args[0] == "--":
            args = args[1:]
        if not args:
            raise EngineError("exec needs a command after NODE, e.g. "
                              f"`vnetlab exec {name} {node} -- ip -br addr`")
        eng = LinuxEngine.attach(name)
        code = eng.exec(node, args)
        sys.stdout.flush()
        code = int(code) if isinstance(code, int) else 0
        # killed by signal N: report 128 + N, as a shell does (not Python's -N & 0xff)
        sys.exit(128 - code if code < 0 else code)
