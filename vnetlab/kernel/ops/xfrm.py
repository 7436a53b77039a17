"""IPsec on the kernel: a lab node's ``ip xfrm`` entries run with the real ``ip xfrm``
inside its namespace (the SAD and SPD are per namespace: the machine's own are never
touched), and the probe that finds out whether this kernel has ESP at all.

Design note
-----------
The op runs exactly the lab's words (``ip -n NS xfrm WORDS``); the printed shell line and
the argv come from the same words. ``esp_unsupported`` asks the kernel itself: in a
throwaway namespace of its own (``vnl-probe-esp-PID``, removed at once) it adds one
transport-mode ESP state with ``rfc4106(gcm(aes))``. ``xfrm_state_add`` needs the ESP
type (``xfrm_get_type`` → the ``esp4`` module) and the AEAD; a kernel without them says
"Protocol not supported" (or lacks ``/proc/net/xfrm_stat``: no xfrm at all), and the
plan refuses the lab with that reason before building anything. On this project's CI
kernel ESP is absent, so the op itself is untested here; the probe and the refusal are
(``tests/security/esp/test_esp_kernel.py``).
"""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import subprocess
from dataclasses import dataclass

from vnetlab.engine import EngineError
from vnetlab.kernel import nl
from vnetlab.kernel.ops.base import Op, Realized, quote
from vnetlab.model.xfrm import split_xfrm

XFRM_TIMEOUT_S = 10.0
_PROBE_WORDS = ["state", "add", "src", "192.0.2.1", "dst", "192.0.2.2", "proto", "esp",
                "spi", "0x1", "reqid", "1", "mode", "transport", "aead", "rfc4106(gcm(aes))",
                "0x" + "00" * 20, "128"]


def xfrm_argv(ns: str, words: list[str]) -> list[str]:
    return ["ip", "-n", ns, "xfrm", *words]


@dataclass(frozen=True, slots=True)
class IpXfrm(Op):
    """``ip -n NS xfrm WORDS...`` (``state add ...`` / ``policy add ...``)."""

    line: str = ""

    def shell(self) -> str:
        return " ".join(quote(w) for w in xfrm_argv(self.ns, split_xfrm(self.line)))

    def apply(self, r: Realized) -> None:
        try:
            done = subprocess.run(xfrm_argv(self.ns, split_xfrm(self.line)),
                                  capture_output=True, text=True, timeout=XFRM_TIMEOUT_S,
                                  check=False)
        except subprocess.TimeoutExpired:
            raise EngineError(f"{self.shell()}: no answer in {XFRM_TIMEOUT_S:g} s") from None
        if done.returncode != 0:
            raise EngineError(f"{self.shell()}: {done.stderr.strip()}")


@functools.cache
def esp_unsupported() -> str | None:
    """None when this kernel takes a transport-mode ESP state with AES-GCM, else why not."""
    if not os.path.exists("/proc/net/xfrm_stat"):
        return "this kernel lacks xfrm (no /proc/net/xfrm_stat: CONFIG_XFRM is off)"
    if shutil.which("ip") is None:
        return "iproute2's ip is not installed (it runs ip xfrm)"
    name = f"vnl-probe-esp-{os.getpid()}"
    nl.remove_netns(name)  # a stale one of ours (same pid, earlier crash)
    fd, sock = nl.create_netns(name)
    try:
        done = subprocess.run(xfrm_argv(name, _PROBE_WORDS), capture_output=True, text=True,
                              timeout=XFRM_TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired:
        return f"ip xfrm state add gave no answer in {XFRM_TIMEOUT_S:g} s"
    finally:
        sock.close()
        os.close(fd)
        with contextlib.suppress(OSError):
            nl.remove_netns(name)
    if done.returncode == 0:
        return None
    return ("this kernel lacks esp4/xfrm ESP (ip xfrm state add ... proto esp mode transport "
            f"aead 'rfc4106(gcm(aes))' answered: {done.stderr.strip() or done.returncode})")
