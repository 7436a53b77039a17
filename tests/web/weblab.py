"""What the web view's tests share: a lab served in-process, the browser's settings.

The web view in a real browser: Debian's chromium driven by Playwright for Python.

The server runs in-process on a free loopback port in a thread (stopped in the fixture's
teardown); the browser is the distribution's ``/usr/bin/chromium`` (never a Playwright
download), headless, with a fresh profile in pytest's tmp dir. Without chromium (or the
playwright package) the browser tests are skipped with the reason; the HTTP-level tests
(token, JSON shapes) run regardless.
"""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from vnetlab.api import make_engine
from vnetlab.model import load_lab
from vnetlab.web.server import Served, prepare
from vnetlab.web.session import LabSession

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


@dataclass
class Running:
    session: LabSession
    served: Served
    url: str  # with the token
    base: str  # without
    token: str


def serve_lab(example: str) -> Iterator[Running]:
    spec = load_lab(ROOT / "examples" / example)
    eng = make_engine("sim")
    eng.realize(spec)
    session = LabSession(spec, eng, owns_engine=True)
    served = prepare(session)
    thread = threading.Thread(target=served.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not served.server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert served.server.started, "uvicorn did not start within 10 s"
    base, _, token = served.url.partition("/?token=")
    try:
        yield Running(session, served, served.url, base, token)
    finally:
        served.stop()
        thread.join(timeout=10)
        session.close()


def browser_missing() -> str | None:
    if shutil.which(CHROMIUM) is None:
        return f"{CHROMIUM} is missing (Debian package chromium; .ci/run installs it)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright Python package is missing (pip install -e '.[test]')"
    return None
