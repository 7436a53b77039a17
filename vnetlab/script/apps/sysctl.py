"""``sysctl`` (procps) and ``/proc/sys`` in a script.

Design note
-----------
The emulator models one sysctl: IPv4 forwarding, per namespace (``net.ipv4.ip_forward``
and ``net.ipv4.conf.*.forwarding``; a per-device key acts on the whole namespace and says
so). Any other key is stored per namespace, read back as written, and reported as not
modelled. ``sysctl_get``/``sysctl_set`` are also what ``cat /proc/sys/...`` and
``echo V > /proc/sys/...`` use, so the three spellings stay one mechanism.
"""

from __future__ import annotations

from vnetlab.model.base import KNOWN_SYSCTLS
from vnetlab.script.args import Env
from vnetlab.script.errors import NotSupportedYet, ScriptError


def _is_forwarding(key: str) -> bool:
    """``net.ipv4.ip_forward`` or ``net.ipv4.conf.DEV.forwarding``."""
    m = key.split(".")
    return key in KNOWN_SYSCTLS or (
        len(m) == 5 and m[:3] == ["net", "ipv4", "conf"] and m[4] == "forwarding")


def sysctl_get(env: Env, key: str) -> str:
    ns = env.ns
    if _is_forwarding(key):
        return str(int(ns.stack.forwarding))
    stored = env.world.sysctls.get(env.ns_name, {})
    if key in stored:
        return stored[key]
    raise env.fail(f'sysctl: cannot stat /proc/sys/{key.replace(".", "/")}: No such file or '
                   "directory", rc=255)


def sysctl_set(env: Env, key: str, value: str) -> None:
    ns = env.ns
    if _is_forwarding(key):
        if value.strip() not in ("0", "1"):
            raise env.fail(f'sysctl: setting key "{key}": Invalid argument', rc=255)
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
        if eq:
            sysctl_set(env, key, value)
            if not quiet:
                env.out(value.strip() if values_only else f"{key} = {value.strip()}")
        else:
            if write:
                raise env.fail(f'sysctl: "{key}" must be of the form name=value', rc=255)
            try:
                v = sysctl_get(env, key)
            except ScriptError as e:
                env.err(e.message)
                rc = 255
                continue
            env.out(v if values_only else f"{key} = {v}")
    return rc
