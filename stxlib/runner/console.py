"""What `stx run` shows of a running stage: its own printed lines and its progress bars, thinned out.

papermill hands every stream output of the kernel to `stdout_file`/`stderr_file`; `StageConsole` gives it two
such files. Complete lines (the stage's prints: set-up notes, `step 20/40: eval_loss ...`, warnings) are shown
as they come, prefixed with the stage name (a block of more than 12 lines printed at once, such as a prompt or
a table, shows its first 4 and a count). A progress bar (tqdm redraws its line with a carriage return:
step n/N, loss, rate, ETA) is shown in place on a terminal, at most every `bar_every` seconds elsewhere, and
always in its final state. `quiet` shows nothing (the runner still prints one line per stage).
"""

from __future__ import annotations

import re
import sys
import threading
import time
from collections.abc import Callable
from typing import IO

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
MAX_BLOCK = 12  # a longer block of printed lines (a prompt, a table) shows its first BLOCK_HEAD lines
BLOCK_HEAD = 4


class _Stream:
    """A write-only text file for papermill that forwards to the console."""

    def __init__(self, console: StageConsole) -> None:
        self.console = console
        self.partial = ""  # text after the last newline or carriage return

    def write(self, text: str) -> int:
        with self.console._lock:
            self.partial = self.console.feed(self.partial + text)
        return len(text)

    def flush(self) -> None:
        return None


class StageConsole:
    def __init__(
        self,
        stage: str,
        *,
        quiet: bool = False,
        out: IO[str] | None = None,
        bar_every: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.stage = stage
        self.quiet = quiet
        self.out = out or sys.stdout
        self.live = bool(getattr(self.out, "isatty", lambda: False)())
        self.bar_every = bar_every if bar_every is not None else (0.5 if self.live else 15.0)
        self.clock = clock
        self._bar: str | None = None  # the latest bar state not yet shown
        self._shown_at = -1e9
        self._in_place = False  # a live bar line is on screen, without newline
        self._last_bar: str | None = None  # the bar state shown last
        self._bar_key: str | None = None  # the description of the latest bar
        self._lock = threading.Lock()  # papermill's thread feeds, the runner's thread ticks
        self.stdout = _Stream(self)
        self.stderr = _Stream(self)

    def feed(self, text: str) -> str:
        """Show what `text` completes; return the unfinished rest (a stream keeps it for its next write)."""
        if self.quiet:
            return ""
        pieces = re.split(r"(\r\n|\n|\r)", _ANSI.sub("", text))
        shown = 0
        lines = sum(1 for end in pieces[1::2] if end != "\r")
        for body, end in zip(pieces[:-1:2], pieces[1::2], strict=True):
            if end == "\r":
                if body.strip():
                    self._new_bar_state(body.strip())
            elif lines <= MAX_BLOCK or shown < BLOCK_HEAD:
                self._line(body)
                shown += 1
        if lines > MAX_BLOCK:
            self._line(f"... {lines - shown} more lines (in the stage's notebook)")
        if self._bar is not None:
            self._due()
        return pieces[-1]

    def _new_bar_state(self, bar: str) -> None:
        key = _bar_key(bar)
        if key != self._bar_key and not self.live:
            self._shown_at = self.clock()  # a new bar: in a log, its first state only once it has run a while
        self._bar, self._bar_key = bar, key

    def tick(self) -> None:
        """Show the pending bar state if it is due (the runner calls this while it waits)."""
        with self._lock:
            self._due()

    def _due(self) -> None:
        if self._bar is None or self.clock() - self._shown_at < self.bar_every:
            return
        self._show_bar(self._bar)

    def close(self) -> None:
        with self._lock:
            self._close()

    def _close(self) -> None:
        for stream in (self.stdout, self.stderr):
            if stream.partial.strip():
                self._line(stream.partial)
            stream.partial = ""
        if self._bar is not None:
            self._show_bar(self._bar)
        self._end_in_place()

    def _line(self, body: str) -> None:
        body = body.strip()
        if not body:
            return
        final = self._last_bar is not None and _same_bar(self._last_bar, body)
        if self._bar is not None and _same_bar(self._bar, body):
            final, self._bar = True, None  # a bar's final state (tqdm ends it with a newline)
        if final and self._in_place:
            self._write(f"\r\x1b[K[{self.stage}] {body}\n")  # replaces the live bar
            self._in_place = False
        else:
            self._end_in_place()
            self._write(f"[{self.stage}] {body}\n")
        self._last_bar = None

    def _show_bar(self, bar: str) -> None:
        self._shown_at = self.clock()
        self._bar, self._last_bar = None, bar
        if self.live:
            self._write(f"\r\x1b[K[{self.stage}] {bar.strip()}")
            self._in_place = True
        else:
            self._write(f"[{self.stage}] {bar}\n")

    def _end_in_place(self) -> None:
        if self._in_place:
            self._write("\n")
            self._in_place = False

    def _write(self, text: str) -> None:
        self.out.write(text)
        self.out.flush()


_BAR_BODY = re.compile(r":?\s*(\d+%|\d+/\d+).*$")


def _bar_key(bar: str) -> str:
    return _BAR_BODY.sub("", bar)


def _same_bar(a: str, b: str) -> bool:
    """Two states of one tqdm bar: the same description before the percentage or count, and b looks like a bar."""
    return bool(_BAR_BODY.search(b)) and _bar_key(a) == _bar_key(b)
