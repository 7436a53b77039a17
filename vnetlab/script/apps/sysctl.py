"""``sysctl`` (procps-ng 4.0) and ``/proc/sys`` in a script.

Design note
-----------
IPv4: the emulator models forwarding, per namespace (``net.ipv4.ip_forward`` and
``net.ipv4.conf.*.forwarding``; a per-device key acts on the whole namespace and says
so). IPv6: every ``net.ipv6.*`` key is the namespace's IPv6 stack's
(``ns.ipv6.sysctl_get``/``sysctl_set``, the kernel's ``addrconf_sysctl`` tables with their
side effects: ``disable_ipv6`` drops or starts autoconfiguration), and its errors are the
kernel's errnos in procps' words: ENOENT ``cannot stat``, EINVAL ``setting key ...:
Invalid argument``, EIO (an unset ``stable_secret``) nothing printed, status 1. Any
other key is stored per namespace, read back as written, and reported as not modelled.
``sysctl_get``/``sysctl_set`` are also what ``cat /proc/sys/...`` and ``echo V >
/proc/sys/...`` use, so the three spellings stay one mechanism (``proc_write`` gives the
shell's words for a failed redirection).
"""

from __future__ import annotations

import errno

from vnetlab.model.base import KNOWN_SYSCTLS
from vnetlab.script.args import Env
from vnetlab.script.errors import NotSupportedYet, ScriptError
from vnetlab.script.inet6 import stack6

V6 = "net.ipv6."


class SysctlError(ScriptError):
    """A key the kernel refused: ERRNO says which (procps words in ``message``)."""

    def __init__(self, message: str, err: int, lineno: int | None) -> None:
        super().__init__(message, lineno=lineno, rc=1)
        self.errno = err


def _proc(key: str) -> str:
    return "/proc/sys/" + key.replace(".", "/")


def _v6_error(env: Env, key: str, e: OSError, *, write: bool) -> SysctlError:
    err = e.errno or errno.EINVAL
    if err == errno.ENOENT:
        msg = f"sysctl: cannot stat {_proc(key)}: No such file or directory"
    elif err == errno.EIO:
        msg = ""  # procps 4 skips an unreadable value silently (stable_secret unset)
    else:
        msg = f'sysctl: {"setting" if write else "reading"} key "{key}": {e.strerror}'
    return SysctlError(msg, err, env.lineno)


def _is_forwarding(key: str) -> bool:
    """``net.ipv4.ip_forward`` or ``net.ipv4.conf.DEV.forwarding``."""
    m = key.split(".")
    return key in KNOWN_SYSCTLS or (
        len(m) == 5 and m[:3] == ["net", "ipv4", "conf"] and m[4] == "forwarding")


def sysctl_get(env: Env, key: str) -> str:
    ns = env.ns
    s6 = stack6(ns)
    if key.startswith(V6) and s6 is not None:
        try:
            return str(s6.sysctl_get(key[len(V6):]))
        except OSError as e:
            raise _v6_error(env, key, e, write=False) from None
    if _is_forwarding(key):
        return str(int(ns.stack.forwarding))
    stored = env.world.sysctls.get(env.ns_name, {})
    if key in stored:
        return stored[key]
    raise SysctlError(f"sysctl: cannot stat {_proc(key)}: No such file or directory",
                      errno.ENOENT, env.lineno)


def sysctl_set(env: Env, key: str, value: str) -> None:
    ns = env.ns
    s6 = stack6(ns)
    if key.startswith(V6) and s6 is not None:
        try:
            s6.sysctl_set(key[len(V6):], value.strip())
        except OSError as e:
            raise _v6_error(env, key, e, write=True) from None
        return
    if _is_forwarding(key):
        if value.strip() not in ("0", "1"):
            raise SysctlError(f'sysctl: setting key "{key}": Invalid argument', errno.EINVAL,
                              env.lineno)
        m = key.split(".")
        if len(m) == 5 and m[3] not in ("all", "default"):
            env.err(f"vnetlab: {key}: the emulator forwards per namespace, not per device; "
                    "set for the whole namespace")
        ns.set_forwarding(value.strip() == "1")
        return
    env.world.sysctls.setdefault(env.ns_name, {})[key] = value.strip()
    env.err(f"vnetlab: sysctl {key} is not modelled by the emulator (value stored, no effect)")


def run_sysctl(argv: list[str], env: Env) -> int:
    write = quiet = values_only = False
    items = []
    for w in argv:
        if w.startswith("-") and len(w) > 1:
            for ch in w[1:]:
                if ch == "w":
                    write = True
                elif ch == "q":
                    quiet = True
                elif ch == "n":
                    values_only = True
                elif ch in "e":
                    pass
                elif ch in "ap":
                    raise NotSupportedYet(f"sysctl -{ch}", lineno=env.lineno)
                else:
                    raise env.fail(f"sysctl: invalid option -- '{ch}'", rc=255)
        else:
            items.append(w)
    rc = 0
    for it in items:
        key, eq, value = it.partition("=")
        key = key.strip().replace("/", ".")
        try:
            if eq:
                sysctl_set(env, key, value)
                if not quiet:
                    env.out(value.strip() if values_only else f"{key} = {value.strip()}")
            elif write:
                env.err("sysctl: command line(0): invalid syntax, continuing...")
                rc = 1
            else:
                v = sysctl_get(env, key)
                env.out(v if values_only else f"{key} = {v}")
        except ScriptError as e:  # procps goes on with the next key, status 1
            if e.message:
                env.err(e.message)
            rc = 1
    return rc


def proc_write(env: Env, path: str, value: str, prog: str) -> None:
    """``echo V > /proc/sys/KEY``: the write's errno in the shell's words (dash:
    ``cannot create ...: Directory nonexistent``, or the command's ``I/O error``)."""
    key = path[len("/proc/sys/"):].strip("/").replace("/", ".")
    try:
        sysctl_set(env, key, value)
    except SysctlError as e:
        if e.errno == errno.ENOENT:
            raise env.fail(f"cannot create {path}: Directory nonexistent", rc=2) from None
        raise env.fail(f"{prog}: {prog}: I/O error", rc=1) from None
