"""Run the web view with uvicorn on a socket bound before the URL is printed.

Design note
-----------
The socket is bound here (port 0: the kernel picks a free one) and handed to uvicorn, so
the printed URL names the port that is really listening and two views never race for one.
127.0.0.1 is the default; any other address needs the caller's explicit consent (the CLI's
``--i-know-this-exposes-the-lab``): the view runs checks and pings inside the lab, and on
the linux engine those are real processes as root. The token is 32 random bytes
(``secrets.token_urlsafe``), new on every run.
"""

from __future__ import annotations

import ipaddress
import secrets
import socket
from dataclasses import dataclass

import uvicorn

from vnetlab.engine import EngineError
from vnetlab.web.app import create_app
from vnetlab.web.session import LabSession

LOOPBACK = "127.0.0.1"


def new_token() -> str:
    return secrets.token_urlsafe(32)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on host:port (port 0: a free one)."""
    try:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(64)
    except OSError as e:
        raise EngineError(f"cannot listen on {host}:{port}: {e.strerror or e}",
                          hint="pick another --port, or leave it out for a free one") from None
    return sock


@dataclass
class Served:
    """A bound, not yet running view: ``url`` to print, ``run()`` to serve until stopped."""

    server: uvicorn.Server
    sock: socket.socket
    url: str

    def run(self) -> None:
        self.server.run(sockets=[self.sock])

    def stop(self) -> None:
        self.server.should_exit = True


def prepare(session: LabSession, host: str = LOOPBACK, port: int = 0,
            token: str | None = None) -> Served:
    token = token or new_token()
    sock = bind(host, port)
    real_port = sock.getsockname()[1]
    config = uvicorn.Config(create_app(session, token), log_level="warning", lifespan="off",
                            access_log=False)
    shown = f"[{host}]" if ":" in host else host
    return Served(uvicorn.Server(config), sock, f"http://{shown}:{real_port}/?token={token}")
