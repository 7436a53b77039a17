"""The web view's HTTP side: a Starlette app over one ``LabSession``, behind a token.

Design note
-----------
Routes (all answer 403 without the run's token, given as ``?token=`` or the
``X-Vnetlab-Token`` header; compared in constant time):

- ``GET /``: the page (``static/index.html`` with the token filled in); ``/static/*``:
  its script and style, served from the package (no CDN, nothing fetched from outside);
- ``GET /api/info``: lab, engine, topology as data; ``GET /api/graph.svg``: the drawing;
- ``GET /api/state``: ``vnetlab show --json`` (the page polls it for counters and tables);
- ``POST /api/checks``: ``vnetlab run --json``; ``POST /api/ping`` ``{src, dst, count}``:
  ``vnetlab ping --json``; ``POST /api/trace`` ``{from, to}``: ``vnetlab trace --json`` as
  ``trace`` plus its ``path`` on the drawing;
- ``POST /api/capture`` ``{iface}``: start recording; ``GET /api/pcap?iface=NODE:IFNAME``:
  what it recorded, as a pcap file.

An ``EngineError`` (bad node, bad address, an engine that cannot trace) answers 400 with
the CLI's ``--json`` error object, ``{"error", "hint"}``. Engine work runs in Starlette's
worker threads (the handlers are plain functions); the session serialises it.
"""

from __future__ import annotations

import hmac
import json
from importlib import resources
from typing import Any
from urllib.parse import parse_qs

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from vnetlab.engine import EngineError
from vnetlab.web.session import LabSession

TOKEN_HEADER = "x-vnetlab-token"
STATIC = resources.files("vnetlab.web") / "static"


class TokenGate:
    """ASGI middleware: every HTTP request carries the run's token, or gets 403."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self.token = token.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not self._allowed(scope):
            response = PlainTextResponse(
                "403 Forbidden: open the URL `vnetlab serve` printed (it carries the token)\n",
                status_code=403)
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def _allowed(self, scope: Scope) -> bool:
        given: list[bytes] = [v for k, v in scope.get("headers", ())
                              if k.decode("latin-1").lower() == TOKEN_HEADER]
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        given += [t.encode() for t in query.get("token", [])]
        return any(hmac.compare_digest(g, self.token) for g in given)


def _error(e: EngineError, status: int = 400) -> JSONResponse:
    message = str(e.args[0]) if e.args else str(e)
    return JSONResponse({"error": message, "hint": e.hint}, status_code=status)


async def _body(request: Request) -> dict[str, Any]:
    try:
        data = json.loads(await request.body() or b"{}")
    except ValueError:
        raise EngineError("the request body is not JSON") from None
    if not isinstance(data, dict):
        raise EngineError("the request body is not a JSON object")
    return data


def create_app(session: LabSession, token: str) -> ASGIApp:
    """The ASGI app for ``session``; every request must carry ``token``."""
    import anyio.to_thread

    async def run(fn: Any, *args: Any) -> Any:
        return await anyio.to_thread.run_sync(fn, *args)

    async def index(_request: Request) -> Response:
        page = (STATIC / "index.html").read_text()
        return HTMLResponse(page.replace("{{TOKEN}}", token)
                            .replace("{{LAB}}", session.lab.name))

    async def info(_request: Request) -> Response:
        return JSONResponse(await run(session.info))

    async def graph(_request: Request) -> Response:
        try:
            svg = await run(session.svg)
        except EngineError as e:
            return _error(e, 500)
        return Response(svg, media_type="image/svg+xml")

    async def state(_request: Request) -> Response:
        return JSONResponse(await run(session.state))

    async def checks(_request: Request) -> Response:
        return JSONResponse(await run(session.checks))

    async def ping(request: Request) -> Response:
        try:
            body = await _body(request)
            count = int(body.get("count", 1))
            if not 1 <= count <= 100:
                raise EngineError(f"count {count} is out of range (1-100)")
            return JSONResponse(await run(session.ping, str(body.get("src", "")),
                                          str(body.get("dst", "")), count))
        except (EngineError, ValueError) as e:
            return _error(e if isinstance(e, EngineError) else EngineError(str(e)))

    async def trace(request: Request) -> Response:
        try:
            body = await _body(request)
            return JSONResponse(await run(session.trace, str(body.get("from", "")),
                                          str(body.get("to", ""))))
        except EngineError as e:
            return _error(e)

    async def capture(request: Request) -> Response:
        try:
            body = await _body(request)
            await run(session.arm, str(body.get("iface", "")))
        except EngineError as e:
            return _error(e)
        return JSONResponse({"captures": session.captures.armed})

    async def pcap(request: Request) -> Response:
        ep = request.query_params.get("iface", "")
        try:
            data = await run(session.pcap, ep)
        except EngineError as e:
            return _error(e, 404)
        name = ep.replace(":", "-").replace("/", "_") + ".pcap"
        return Response(data, media_type="application/vnd.tcpdump.pcap",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})

    app = Starlette(routes=[
        Route("/", index),
        Route("/api/info", info),
        Route("/api/graph.svg", graph),
        Route("/api/state", state),
        Route("/api/checks", checks, methods=["POST"]),
        Route("/api/ping", ping, methods=["POST"]),
        Route("/api/trace", trace, methods=["POST"]),
        Route("/api/capture", capture, methods=["POST"]),
        Route("/api/pcap", pcap),
        Mount("/static", app=StaticFiles(directory=str(STATIC)), name="static"),
    ])
    return TokenGate(app, token)
