"""Records what the real ovs-vsctl prints for ``SEQUENCES`` into ``vsctl_golden.json``:
``python -m tests.ovsdb.record_golden`` (needs ovsdb-server and ovs-vsctl)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.ovsdb.oracle import normalize, real_labels, real_ovsdb
from tests.ovsdb.sequences import SEQUENCES

GOLDEN = Path(__file__).with_name("vsctl_golden.json")


def record() -> dict[str, list[list[object]]]:
    out: dict[str, list[list[object]]] = {}
    for name, seq in sorted(SEQUENCES.items()):
        servers = real_ovsdb()
        server = next(servers)
        try:
            out[name] = [list(normalize(server.vsctl(argv), real_labels(server)))
                         for argv in seq]
        finally:
            servers.close()
    return out


if __name__ == "__main__":
    GOLDEN.write_text(json.dumps(record(), indent=1, ensure_ascii=False) + "\n")
