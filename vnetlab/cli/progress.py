"""Progress of a lab run on the terminal: load, build, then the checks one by one.

Design note
-----------
A small lab finishes before anyone would look at a bar, so nothing is shown unless the run
is still going after ``DELAY_S`` (one second): a timer thread starts rich's live display
then. The display goes to stderr and only when stderr is a terminal and the output is not
JSON, so piped output and ``--json`` stay exactly as they were; it is transient (erased
when the run ends). Verdicts the command prints to stdout meanwhile appear above the bar
when stdout is that terminal too (rich's ``redirect_stdout``), and go straight to the pipe
or file otherwise. The stages are explicit calls (``stage``, ``advance``) from the command;
the library under it knows nothing of the terminal.
"""

from __future__ import annotations

import sys
import threading
from types import TracebackType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

DELAY_S = 1.0


class LabProgress:
    """``with LabProgress(enabled) as p: p.stage("building"); ... p.advance()``."""

    def __init__(self, enabled: bool, delay_s: float = DELAY_S) -> None:
        self.enabled = enabled and sys.stderr.isatty()
        self._lock = threading.Lock()
        self._progress: Progress | None = None
        self._task: TaskID | None = None
        self._started = False
        self._done = False
        self._desc = ""
        self._total: int | None = None
        self._completed = 0
        self._timer: threading.Timer | None = None
        if self.enabled:
            self._timer = threading.Timer(delay_s, self._show)
            self._timer.daemon = True

    def __enter__(self) -> LabProgress:
        if self._timer is not None:
            self._timer.start()
        return self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def _show(self) -> None:
        """The run is still going after the delay: start the live display."""
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        with self._lock:
            if self._done:
                return
            console = Console(stderr=True, highlight=False, emoji=False)
            self._progress = Progress(
                TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                TimeElapsedColumn(), console=console, transient=True,
                redirect_stdout=sys.stdout.isatty(), redirect_stderr=False,
            )
            self._task = self._progress.add_task(self._desc, total=self._total,
                                                 completed=self._completed)
            self._progress.start()
            self._started = True

    def stage(self, desc: str, total: int | None = None) -> None:
        """A new stage: ``loading LAB``, ``building``, ``checks`` (with their count)."""
        with self._lock:
            self._desc, self._total, self._completed = desc, total, 0
            if self._progress is not None and self._task is not None:
                self._progress.update(self._task, description=desc, total=total, completed=0)

    def advance(self) -> None:
        with self._lock:
            self._completed += 1
            if self._progress is not None and self._task is not None:
                self._progress.update(self._task, completed=self._completed)

    def close(self) -> None:
        with self._lock:
            self._done = True
            if self._timer is not None:
                self._timer.cancel()
            if self._progress is not None and self._started:
                self._progress.stop()
                self._progress = None
