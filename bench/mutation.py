"""Mutation testing of the emulator's core: does a small change to the code fail a test?

Design note
-----------
A small AST mutator, no dependency. For each configured module it parses the source, lists
every mutation site (``SITES``: a comparison flipped ``<``↔``<=``, ``>``↔``>=``, ``==``↔``!=``;
``and``↔``or``; an integer constant ±1; a ``not`` removed; ``+``↔``-``), and gives each one a
deterministic id ``path:line:col:operator`` (same source, same ids, same order). A mutant is
the module re-emitted by ``ast.unparse`` with that one change; it runs the module's mapped test
subset (``MODULES``: module → test files) with ``pytest -x`` under ``nice -n 10`` and a
per-mutant timeout. A test failure, an error or a timeout kills the mutant; a green run means
it survived.

The worktree is never written: each worker copies ``vnetlab/`` and ``tests/`` into its own
temporary directory, writes the mutant there, runs pytest with that directory first on
``PYTHONPATH`` (checked at start: ``vnetlab.__file__`` must resolve into the copy), and puts
the original text back in ``finally``. Bytecode goes to a per-worker ``PYTHONPYCACHEPREFIX``
and the mutated module's cache file is removed after each run, so a stale ``.pyc`` (same size,
same second) can never stand in for the next mutant.

Code that only builds trace text (the body of ``if trace is not None:`` /
``if skb.trace is not None:`` and the arguments of ``trace.add``/``.drop``/``.branch``/
``.deliver`` calls) is not mutated unless ``--include-trace``: the explanation is checked by the
trace golden tests, not the forwarding behaviour this score is about. Mutants known to be
equivalent (no behaviour can tell them apart) are listed in ``EQUIVALENT`` with a one-line
argument each; they count neither as killed nor as survivors.

The last line printed is ``score: X`` = killed / (mutants run − equivalent). Results (every
mutant, survivors with file:line and the change) go to ``--json`` (default
``mutation-results.json`` in the temporary directory; path printed).

Usage: ``nice`` is applied by the tool itself::

    .venv/bin/python bench/mutation.py                      # every configured module
    .venv/bin/python bench/mutation.py --modules fdb,neigh  # a subset (names or paths)
    .venv/bin/python bench/mutation.py --max-mutants 120 --seed 1   # a deterministic sample
    .venv/bin/python bench/mutation.py --max-per-module 18           # the same, per module
    .venv/bin/python bench/mutation.py --list               # the mutant ids, nothing run
    .venv/bin/python bench/mutation.py --only ID,ID --json again.json   # re-check survivors
    .venv/bin/python bench/mutation.py --rescore run.json --merge again.json
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# The tests every bridge/stack mutant runs: fast, emulator-only, no OVS oracle; the pins
# first, so most mutants die in the first seconds of a `-x` run.
_SIM = [
    "tests/pins",
    "tests/sim/test_sim_bridge.py",
    "tests/sim/test_sim_neigh.py",
    "tests/sim/test_sim_ipv4.py",
    "tests/sim/test_sim_stack_protocols.py",
    "tests/sim/test_sim_review_fixes.py",
    "tests/sim/test_sim_trace.py",
]
_WIRE = ["tests/pins", "tests/wire"]

#: module (short name → path under the repo, mapped test files). Add the OpenFlow classifier
#: (vnetlab/openflow/classifier.py → tests/openflow) or STP (vnetlab/sim/devices/bridge/stp.py
#: → tests/stp) here: the mutator itself is module-neutral.
MODULES: dict[str, tuple[str, list[str]]] = {
    "fdb": ("vnetlab/sim/devices/bridge/fdb.py", _SIM + ["tests/sim_vlan"]),
    "forward": ("vnetlab/sim/devices/bridge/forward.py", _SIM),
    "input": ("vnetlab/sim/devices/bridge/input.py",
              _SIM + ["tests/security/test_port_flags.py", "tests/sim_vlan"]),
    "neigh": ("vnetlab/sim/stack/neigh.py", _SIM),
    "arp": ("vnetlab/sim/stack/arp.py", _SIM),
    "ipv4": ("vnetlab/sim/stack/ipv4.py", _SIM),
    "icmp": ("vnetlab/sim/stack/icmp.py", _SIM),
    "wire_ipv4": ("vnetlab/wire/ipv4.py", _WIRE),
    "wire_ethernet": ("vnetlab/wire/ethernet.py", _WIRE),
    "wire_arp": ("vnetlab/wire/arp.py", _WIRE),
    "wire_icmp": ("vnetlab/wire/icmp.py", _WIRE),
    # configured, not in the default run (slower test subsets):
    "classifier": ("vnetlab/openflow/classifier.py", ["tests/openflow"]),
    "stp": ("vnetlab/sim/devices/bridge/stp.py", ["tests/stp"]),
}
DEFAULT_MODULES = ["fdb", "forward", "input", "neigh", "arp", "ipv4", "icmp",
                   "wire_ipv4", "wire_ethernet", "wire_arp", "wire_icmp"]

#: reviewed equivalent mutants: id → why no behaviour can distinguish it.
EQUIVALENT: dict[str, str] = {
    "vnetlab/wire/ipv4.py:78:56:40->41":
        "options > 41 vs > 40: `len % 4` is tested first, so 41..43 are already refused "
        "and 44 fails both",
    "vnetlab/sim/devices/bridge/forward.py:30:32:0->-1":
        "UNICAST/MULTICAST/BROADCAST are labels only compared with each other: -1, 1, 2 "
        "stay distinct",
    "vnetlab/sim/devices/bridge/forward.py:30:38:2->3":
        "the same labels: 0, 1, 3 stay distinct",
    "vnetlab/sim/devices/bridge/fdb.py:114:28:<-><=":
        "the minimum of the expiries: on a tie `<=` picks an equal value, the same timer",
    "vnetlab/sim/stack/icmp.py:159:49:0->1":
        "_icmp_name's mtu default is never used: both callers pass mtu",
    "vnetlab/sim/stack/icmp.py:159:49:0->-1": "the same unused default",
    "vnetlab/sim/devices/bridge/fdb.py:46:19:0->1":
        "FdbEntry's vid default is never used: every constructor passes vid",
    "vnetlab/sim/devices/bridge/fdb.py:46:19:0->-1": "the same unused default",
    "vnetlab/sim/devices/bridge/fdb.py:94:27:<-><=":
        "arming again for the same instant adds a second callback that sees gc_at moved "
        "on (armed_for check) and returns: the same deletions at the same times",
    "vnetlab/sim/devices/bridge/fdb.py:144:28:+->-":
        "arming in the past runs one early cleanup that deletes nothing (the new entry is "
        "fresh) and re-arms for the true earliest expiry: the same deletions",
    "vnetlab/sim/devices/bridge/forward.py:62:7:and->or":
        "br_nf_hook returns True when the namespace has no ebtables table, so "
        "`ebt is not None or not hook()` is False exactly as before",
    "vnetlab/sim/stack/icmp.py:155:23:16384->16383":
        "the quoted header's DF bit is never read (only its dst, proto and length are)",
    "vnetlab/sim/stack/icmp.py:155:56:>->>=":
        "ihl == 20 gives data[20:20] == b'' either way",
    "vnetlab/sim/stack/neigh.py:82:22:0->1":
        "Neighbour.probes' initial value is never read: output() sets 0 on entering "
        "INCOMPLETE and DELAY->PROBE sets 0; STALE/PERMANENT entries do not count probes",
    "vnetlab/sim/stack/neigh.py:82:22:0->-1": "the same: the initial probes is never read",
    "vnetlab/sim/stack/neigh.py:272:32:2->3":
        "confirmed is only read by the DELAY timer (now - confirmed <= 5 s): back-dating "
        "by 60 s or 90 s is the same verdict",
    "vnetlab/sim/stack/neigh.py:272:32:2->1": "the same: 30 s back is still > 5 s",
    "vnetlab/wire/icmp.py:106:16:0->-1":
        "echo ident -1 passes this check but makes rest negative, which __post_init__ "
        "refuses with the same ValueError",
    "vnetlab/wire/icmp.py:106:41:0->-1": "the same for seq -1 (rest becomes -1)",
    "vnetlab/wire/icmp.py:114:15:0->-1":
        "mtu -1 becomes rest -1, refused by __post_init__ with the same ValueError",
}

_CMP_FLIP: dict[type[ast.cmpop], type[ast.cmpop]] = {
    ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt,
    ast.Eq: ast.NotEq, ast.NotEq: ast.Eq,
}
_SYM = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!=",
        ast.And: "and", ast.Or: "or", ast.Add: "+", ast.Sub: "-"}
_TRACE_CALLS = {"add", "drop", "branch", "deliver", "clone"}


@dataclass(frozen=True)
class Site:
    """One mutation: the ``index``-th node of the walk, changed by ``op``."""
    id: str
    path: str
    line: int
    col: int
    op: str           # e.g. "< -> <=", "and -> or", "12 -> 13", "not removed", "+ -> -"
    index: int        # position of the node in the deterministic walk
    detail: int = 0   # which comparator of a chained compare / which direction of ±1


@dataclass
class Result:
    id: str
    path: str
    line: int
    op: str
    status: str       # killed | survived | timeout | equivalent
    seconds: float
    source_line: str = ""
    failed: list[str] = field(default_factory=list)


def _is_trace_guard(test: ast.expr) -> bool:
    """``trace is not None`` / ``skb.trace is not None`` / ``t is not None`` on a trace."""
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1
            and isinstance(test.ops[0], ast.IsNot)):
        return False
    left = test.left
    name = left.attr if isinstance(left, ast.Attribute) else getattr(left, "id", "")
    return name in ("trace", "t") or name.endswith("_trace")


def _is_trace_call(node: ast.AST) -> bool:
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
        return False
    f = node.func
    owner = f.value
    oname = owner.attr if isinstance(owner, ast.Attribute) else getattr(owner, "id", "")
    return f.attr in _TRACE_CALLS and (oname in ("trace", "t", "n") or oname.endswith("trace"))


def _walk(tree: ast.AST, include_trace: bool) -> Iterator[ast.AST]:
    """Deterministic pre-order walk, skipping docstrings, annotations, ``TYPE_CHECKING``
    blocks, ``__slots__``/``__all__`` and (unless asked) trace-only code."""
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        yield node
        children: list[ast.AST] = []
        for name, value in ast.iter_fields(node):
            if name in ("annotation", "returns", "decorator_list", "type_comment"):
                continue
            items = value if isinstance(value, list) else [value]
            for v in items:
                if isinstance(v, ast.AST):
                    children.append(v)
        if isinstance(node, ast.If):
            t = node.test
            if isinstance(t, ast.Name) and t.id == "TYPE_CHECKING":
                children = list(node.orelse)
            elif not include_trace and _is_trace_guard(t):
                children = [t, *node.orelse]
        if isinstance(node, ast.Assign) and any(
                isinstance(tg, ast.Name) and tg.id in ("__slots__", "__all__")
                for tg in node.targets):
            children = []
        if not include_trace and _is_trace_call(node):
            children = []
        if isinstance(node, ast.JoinedStr):
            children = []
        stack.extend(reversed(children))


def _sites_of(node: ast.AST) -> Iterator[tuple[str, int]]:
    """(operator text, detail) for each mutation NODE offers."""
    if isinstance(node, ast.Compare):
        for i, op in enumerate(node.ops):
            flip = _CMP_FLIP.get(type(op))
            if flip is not None:
                yield f"{_SYM[type(op)]} -> {_SYM[flip]}", i
    elif isinstance(node, ast.BoolOp):
        other = ast.Or if isinstance(node.op, ast.And) else ast.And
        yield f"{_SYM[type(node.op)]} -> {_SYM[other]}", 0
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        yield "not removed", 0
    elif isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub)):
        arith = ast.Sub if isinstance(node.op, ast.Add) else ast.Add
        yield f"{_SYM[type(node.op)]} -> {_SYM[arith]}", 0
    elif (isinstance(node, ast.Constant) and type(node.value) is int):
        v = node.value
        yield f"{v} -> {v + 1}", 1
        yield f"{v} -> {v - 1}", -1


def _docstring_nodes(tree: ast.AST) -> set[int]:
    out = set()
    for n in ast.walk(tree):
        if isinstance(n, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            body = n.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                out.add(id(body[0]))
    return out


def find_sites(path: str, src: str, include_trace: bool = False) -> list[Site]:
    tree = ast.parse(src)
    skip = _docstring_nodes(tree)
    sites: list[Site] = []
    for index, node in enumerate(_walk(tree, include_trace)):
        if id(node) in skip:
            continue
        line = getattr(node, "lineno", 0)
        col = getattr(node, "col_offset", 0)
        for op, detail in _sites_of(node):
            sid = f"{path}:{line}:{col}:{op.replace(' ', '')}"
            if any(s.id == sid for s in sites):
                sid += f"#{index}"
            sites.append(Site(sid, path, line, col, op, index, detail))
    return sites


def mutate(src: str, site: Site, include_trace: bool) -> str:
    """The module's text SRC with SITE applied (``ast.unparse`` of the changed tree)."""
    tree = ast.parse(src)
    for index, node in enumerate(_walk(tree, include_trace)):
        if index != site.index:
            continue
        if isinstance(node, ast.Compare):
            node.ops[site.detail] = _CMP_FLIP[type(node.ops[site.detail])]()
        elif isinstance(node, ast.BoolOp):
            node.op = ast.Or() if isinstance(node.op, ast.And) else ast.And()
        elif isinstance(node, ast.BinOp):
            node.op = ast.Sub() if isinstance(node.op, ast.Add) else ast.Add()
        elif isinstance(node, ast.Constant) and isinstance(node.value, int):
            node.value = node.value + site.detail
        elif isinstance(node, ast.UnaryOp):
            _replace(tree, node, node.operand)
        break
    else:
        raise LookupError(f"site {site.id} not found")
    return ast.unparse(ast.fix_missing_locations(tree))


def _replace(tree: ast.AST, old: ast.AST, new: ast.AST) -> None:
    for parent in ast.walk(tree):
        for name, value in ast.iter_fields(parent):
            if value is old:
                setattr(parent, name, new)
                return
            if isinstance(value, list):
                for i, v in enumerate(value):
                    if v is old:
                        value[i] = new
                        return


class Worker:
    """A private copy of the tree in which mutants are written and tested."""

    def __init__(self, base: Path, n: int, sources: dict[str, str]) -> None:
        self.sources = sources
        self.dir = base / f"w{n}"
        self.dir.mkdir()
        ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".hypothesis")
        for name in ("vnetlab", "tests"):
            shutil.copytree(ROOT / name, self.dir / name, ignore=ignore)
        for name in ("pyproject.toml", "conftest.py"):
            if (ROOT / name).exists():
                shutil.copy2(ROOT / name, self.dir / name)
        for path, text in sources.items():  # the snapshot the mutants were made from
            (self.dir / path).write_text(text)
        if (ROOT / "examples").exists():
            os.symlink(ROOT / "examples", self.dir / "examples")
        self.pyc = base / f"pyc{n}"
        self.env = dict(os.environ, PYTHONPATH=str(self.dir), PYTHONPYCACHEPREFIX=str(self.pyc),
                        PYTHONHASHSEED="0")

    def check_isolated(self) -> None:
        out = subprocess.run([sys.executable, "-c", "import vnetlab; print(vnetlab.__file__)"],
                             env=self.env, cwd=self.dir, capture_output=True, text=True)
        where = out.stdout.strip()
        if not where.startswith(str(self.dir)):
            raise SystemExit(f"mutation: vnetlab imports from {where!r}, not the copy {self.dir}")

    def pytest(self, tests: list[str], timeout: float) -> tuple[str, float, list[str]]:
        cmd = ["nice", "-n", "10", sys.executable, "-m", "pytest", "-x", "-q", "-m",
               "not kernel", "-p", "no:cacheprovider", "-p", "no:randomly", "--tb=line",
               "-o", "addopts=", *[t for t in tests if (self.dir / t).exists()]]
        start = time.monotonic()
        proc = subprocess.Popen(cmd, cwd=self.dir, env=self.env, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True, start_new_session=True)
        try:
            out, _ = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            return "timeout", time.monotonic() - start, []
        took = time.monotonic() - start
        failed = [ln.split(" ", 1)[1] for ln in out.splitlines()
                  if ln.startswith(("FAILED ", "ERROR "))]
        if proc.returncode == 0:
            return "survived", took, []
        if proc.returncode == 5:
            raise SystemExit(f"mutation: no tests collected for {tests}")
        return "killed", took, failed

    def run(self, site: Site, text: str, tests: list[str], timeout: float) -> Result:
        target = self.dir / site.path
        original = self.sources[site.path]
        try:
            target.write_text(text)
            status, took, failed = self.pytest(tests, timeout)
        finally:
            target.write_text(original)
            for pyc in self.pyc.rglob(Path(site.path).stem + ".*.pyc"):
                pyc.unlink()
        src_line = original.splitlines()[site.line - 1].strip()
        return Result(site.id, site.path, site.line, site.op, status, round(took, 2),
                      src_line, failed[:3])


def summarize(results: list[Result], meta: dict[str, object], out: Path) -> float:
    """Count per module (declared equivalents apart), write OUT, print the table, the
    survivors and, last, the ``score:`` line."""
    for r in results:  # the reviewed list applies to results of earlier runs too
        if r.status == "survived" and r.id in EQUIVALENT:
            r.status = "equivalent"
    per: dict[str, dict[str, int]] = {}
    for r in results:
        c = per.setdefault(r.path, {"killed": 0, "survived": 0, "equivalent": 0})
        c["killed" if r.status in ("killed", "timeout") else r.status] += 1
    killed = sum(c["killed"] for c in per.values())
    counted = sum(c["killed"] + c["survived"] for c in per.values())
    score = killed / counted if counted else 1.0
    survivors = [r for r in results if r.status == "survived"]
    report = {
        "modules": per, "killed": killed, "survived": len(survivors),
        "equivalent": sum(c["equivalent"] for c in per.values()), "score": round(score, 4),
        **meta,
        "survivors": [{"where": f"{r.path}:{r.line}", "mutation": r.op, "id": r.id,
                       "source": r.source_line} for r in survivors],
        "equivalent_declared": dict(EQUIVALENT),
        "results": [asdict(r) for r in results],
    }
    out.write_text(json.dumps(report, indent=1))
    print()
    for path, c in per.items():
        n = c["killed"] + c["survived"]
        print(f"{path:45} killed {c['killed']:3}/{n:3}  equivalent {c['equivalent']}")
    for r in survivors:
        print(f"survivor {r.path}:{r.line}  {r.op}  | {r.source_line}")
    print(f"results: {out}   wall {meta.get('wall_seconds', 0)}s")
    print(f"score: {score:.3f}")
    return score


def rescore(path: str, merge: list[str]) -> int:
    """Score a results file again: with today's EQUIVALENT list, and with the verdicts of
    re-check runs (``--only ID,... --json``) replacing those of the same mutants."""
    data = json.loads(Path(path).read_text())
    fields = set(Result.__dataclass_fields__)
    results = [Result(**{k: v for k, v in r.items() if k in fields}) for r in data["results"]]
    for extra in merge:
        again = {r["id"]: r for r in json.loads(Path(extra).read_text())["results"]}
        results = [Result(**{k: v for k, v in again[r.id].items() if k in fields})
                   if r.id in again else r for r in results]
    meta = {k: data.get(k) for k in ("wall_seconds", "jobs", "sample", "per_module", "seed")}
    meta["merged"] = merge
    summarize(results, meta, Path(path).with_suffix(".rescored.json"))
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--modules", help="comma-separated short names or paths "
                    f"(default: {','.join(DEFAULT_MODULES)}; also: classifier, stp)")
    ap.add_argument("--max-mutants", type=int, default=0,
                    help="run a deterministic sample of at most N mutants (0: all)")
    ap.add_argument("--max-per-module", type=int, default=0,
                    help="a deterministic sample of at most N mutants from each module")
    ap.add_argument("--seed", type=int, default=20, help="sample seed (default 20)")
    ap.add_argument("-j", "--jobs", type=int, default=1, help="parallel workers (default 1)")
    ap.add_argument("--timeout", type=float, default=0,
                    help="per-mutant timeout in s (default: 3 x the baseline run + 10)")
    ap.add_argument("--include-trace", action="store_true",
                    help="also mutate code that only builds trace text")
    ap.add_argument("--only", help="comma-separated mutant ids to run (re-check survivors)")
    ap.add_argument("--list", action="store_true", help="list the mutant ids and exit")
    ap.add_argument("--json", help="write results here (default: in the temp directory)")
    ap.add_argument("--rescore", metavar="JSON",
                    help="no run: score a results file again (today's EQUIVALENT list)")
    ap.add_argument("--merge", action="append", default=[], metavar="JSON",
                    help="with --rescore: verdicts of a re-check run replace the old ones")
    args = ap.parse_args(argv)
    if args.rescore:
        return rescore(args.rescore, args.merge)

    names = args.modules.split(",") if args.modules else DEFAULT_MODULES
    chosen: list[tuple[str, list[str]]] = []
    for name in names:
        if name in MODULES:
            chosen.append(MODULES[name])
        else:
            hit = [m for m in MODULES.values() if m[0] == name]
            if not hit:
                raise SystemExit(f"mutation: unknown module {name!r}; known: {', '.join(MODULES)}")
            chosen.append(hit[0])
    tests_of = {path: tests for path, tests in chosen}
    # one snapshot of every module: editing the worktree during a run changes nothing
    sources = {path: (ROOT / path).read_text() for path, _ in chosen}
    sites = [s for path, _ in chosen for s in find_sites(path, sources[path],
                                                         args.include_trace)]
    if args.only:
        wanted = set(args.only.split(","))
        sites = [s for s in sites if s.id in wanted]
    if args.max_per_module:
        kept: list[Site] = []
        for path, _ in chosen:
            mine = [s for s in sites if s.path == path]
            if len(mine) > args.max_per_module:
                pick = set(random.Random(f"{args.seed}:{path}").sample(
                    range(len(mine)), args.max_per_module))
                mine = [s for i, s in enumerate(mine) if i in pick]
            kept += mine
        sites = kept
    if args.max_mutants and len(sites) > args.max_mutants:
        rng = random.Random(args.seed)
        keep = set(rng.sample(range(len(sites)), args.max_mutants))
        sites = [s for i, s in enumerate(sites) if i in keep]
    if args.list:
        for s in sites:
            print(f"{s.id}\t{s.op}")
        print(f"{len(sites)} mutants")
        return 0

    base = Path(tempfile.mkdtemp(prefix="vnetlab-mutation-"))
    try:
        workers = [Worker(base, n, sources) for n in range(max(1, args.jobs))]
        workers[0].check_isolated()
        # baseline: each test subset must pass unmutated, and sets the timeout
        baseline: dict[tuple[str, ...], float] = {}
        for tests in {tuple(t) for t in tests_of.values()}:
            status, took, failed = workers[0].pytest(list(tests), 900)
            if status != "survived":
                raise SystemExit(f"mutation: the unmutated tests fail ({failed}): fix them first")
            baseline[tests] = took
            print(f"baseline {took:6.1f}s  {len(tests)} test paths", flush=True)
        texts = {s.id: mutate(sources[s.path], s, args.include_trace) for s in sites}
        results: list[Result] = []
        free = list(workers)

        def one(site: Site) -> Result:
            if site.id in EQUIVALENT:
                return Result(site.id, site.path, site.line, site.op, "equivalent", 0.0)
            w = free.pop()
            try:
                tests = tests_of[site.path]
                timeout = args.timeout or 3 * baseline[tuple(tests)] + 10
                return w.run(site, texts[site.id], tests, timeout)
            finally:
                free.append(w)

        start = time.monotonic()
        with ThreadPoolExecutor(max_workers=len(workers)) as pool:
            for i, r in enumerate(pool.map(one, sites), 1):
                results.append(r)
                mark = "SURVIVED" if r.status == "survived" else r.status
                print(f"[{i}/{len(sites)}] {mark:9} {r.seconds:5.1f}s {r.id}  ({r.op})",
                      flush=True)
        wall = time.monotonic() - start
        out = Path(args.json) if args.json else base / "mutation-results.json"
        meta = {"wall_seconds": round(wall, 1), "jobs": len(workers),
                "sample": args.max_mutants or None, "per_module": args.max_per_module or None,
                "seed": args.seed}
        summarize(results, meta, out)
    finally:
        # the results file stays in BASE; the tree copies and bytecode go
        for w in base.glob("w*"):
            shutil.rmtree(w, ignore_errors=True)
        for p in base.glob("pyc*"):
            shutil.rmtree(p, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
