"""UDP request/response: a small responder and a client that times each round trip.

Design note
-----------
netperf's UDP_RR in outline: the client sends one small datagram, waits for the answer,
and only then sends the next, so each sample is one full round trip through the path and
both stacks (plus this interpreter's own overhead, a few µs per side). Run as a script
with ``python -I`` inside ``ip netns exec``: it imports only the standard library (not
vnetlab, so start-up is fast and nothing of the lab's process leaks in).

Bounded everywhere: the responder exits after ``MAX_S`` seconds or ``IDLE_S`` idle
seconds, whichever first (and the bench also stops it by pid); the client stops after
``SECONDS`` or ``COUNT`` requests and counts a request lost after ``TIMEOUT_S``.

    udprr.py serve PORT MAX_S           # prints "ready" once bound
    udprr.py client DST PORT SECONDS COUNT SIZE
                                        # prints {"rtt_ns": [...], "lost": N}
"""

from __future__ import annotations

import json
import socket
import sys
import time

IDLE_S = 10.0
TIMEOUT_S = 0.5


def serve(port: int, max_s: float) -> None:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("0.0.0.0", port))
    s.settimeout(1.0)
    print("ready", flush=True)
    end = time.monotonic() + max_s
    last = time.monotonic()
    while time.monotonic() < end and time.monotonic() - last < IDLE_S:
        try:
            data, addr = s.recvfrom(65536)
        except TimeoutError:
            continue
        s.sendto(data, addr)
        last = time.monotonic()


def client(dst: str, port: int, seconds: float, count: int, size: int) -> None:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.connect((dst, port))
    s.settimeout(TIMEOUT_S)
    rtts: list[int] = []
    lost = 0
    end = time.monotonic() + seconds
    seq = 0
    while seq < count and time.monotonic() < end:
        seq += 1
        payload = seq.to_bytes(8, "big") + bytes(max(0, size - 8))
        t0 = time.perf_counter_ns()
        s.send(payload)
        while True:
            try:
                data = s.recv(65536)
            except (TimeoutError, ConnectionRefusedError):
                lost += 1
                break
            if data[:8] == payload[:8]:  # a late answer to an earlier request: skip it
                rtts.append(time.perf_counter_ns() - t0)
                break
    print(json.dumps({"rtt_ns": rtts, "lost": lost}), flush=True)


def main(argv: list[str]) -> int:
    if len(argv) == 3 and argv[0] == "serve":
        serve(int(argv[1]), float(argv[2]))
        return 0
    if len(argv) == 6 and argv[0] == "client":
        client(argv[1], int(argv[2]), float(argv[3]), int(argv[4]), int(argv[5]))
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
