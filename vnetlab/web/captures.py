"""Per-interface packet captures the web view hands out as pcap downloads.

Design note
-----------
Captures go through the engine protocol (``start_capture``/``stop_captures``), so the
same code records on the emulator (a tap on the device) and on the kernel (``tcpdump -w``
in the node's namespace). The protocol can only stop *all* captures, and ``run_checks``
stops them too when it ends; so each armed interface records into a run of *segments*:
``cut()`` stops everything and starts a fresh segment on every armed interface, and a
download is the segments joined into one pcap (one global header, then every segment's
records in time order of recording). Nothing is lost between segments on the emulator,
whose time does not move while no command runs.

An interface records from when the page asks for it ("capture"), never before: like
tcpdump, a capture makes the device promiscuous, and a promiscuous bridge passes every
frame up to its own stack, which a trace would then show.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from vnetlab.engine import Engine, EngineError

_GLOBAL_HEADER_LEN = 24


class Captures:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._tmp = tempfile.TemporaryDirectory(prefix="vnetlab-web-cap-")
        self.dir = Path(self._tmp.name)
        self.segments: dict[str, list[Path]] = {}  # "NODE:IFNAME" -> files, oldest first
        self._seq = 0

    @property
    def armed(self) -> list[str]:
        return list(self.segments)

    def _start(self, ep: str) -> None:
        node, _, ifname = ep.partition(":")
        self._seq += 1
        path = self.dir / f"{node}-{ifname}.{self._seq}.pcap"
        self.engine.start_capture(node, ifname, path)
        self.segments.setdefault(ep, []).append(path)

    def arm(self, ep: str) -> None:
        """Start recording NODE:IFNAME (no-op when it already records)."""
        if ep not in self.segments:
            self._start(ep)

    def cut(self) -> None:
        """Close every running segment (files complete) and open the next ones."""
        self.engine.stop_captures()
        for ep in list(self.segments):
            try:
                self._start(ep)
            except EngineError:
                # the interface went away (or tcpdump refused): keep what was recorded
                continue

    def pcap(self, ep: str) -> bytes:
        """Everything NODE:IFNAME recorded so far, as one classic pcap file."""
        if ep not in self.segments:
            raise EngineError(f"{ep} is not being captured",
                              hint="start a capture on it first")
        self.cut()
        header = b""
        body: list[bytes] = []
        for path in self.segments[ep]:
            if not path.exists():
                continue
            data = path.read_bytes()
            if len(data) < _GLOBAL_HEADER_LEN:
                continue
            header = header or data[:_GLOBAL_HEADER_LEN]
            body.append(data[_GLOBAL_HEADER_LEN:])
        if not header:
            raise EngineError(f"nothing was recorded on {ep} yet")
        return header + b"".join(body)

    def close(self) -> None:
        self.engine.stop_captures()
        self.segments.clear()
        self._tmp.cleanup()
