"""One `stx run` per run folder at a time."""

from __future__ import annotations

import fcntl
import json
import os
import socket
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

LOCK_NAME = ".stx-run.lock"


class RunLockedError(RuntimeError):
    """Another `stx run` holds the run folder."""


class RunLock:
    """An exclusive, non-blocking `flock` on `<run_dir>/.stx-run.lock` (released if the process dies).

    The file names its holder while held and is emptied on release; a holder left in it by a process that
    died (killed, power loss) is reported through `echo` and taken over (`stale` keeps it)."""

    def __init__(self, run_dir: Path, echo: Callable[[str], None] | None = None) -> None:
        self.path = Path(run_dir) / LOCK_NAME
        self.echo = echo
        self.stale: dict | None = None
        self._fd: int | None = None

    def __enter__(self) -> RunLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_holder(fd)
            os.close(fd)
            raise RunLockedError(
                f"another stx run is already using {self.path.parent} ({holder}); wait for it to finish, "
                "or pass --run-dir to run into another folder"
            ) from None
        self.stale = _holder_info(fd) or None
        if self.stale and self.echo:
            self.echo(
                f"stx run: taking over a stale lock of {self.path.parent}: {_describe(self.stale)} is no longer "
                "running (it was stopped without releasing the folder)"
            )
        os.ftruncate(fd, 0)
        info = {"pid": os.getpid(), "host": socket.gethostname(), "started": time.strftime("%Y-%m-%dT%H:%M:%S")}
        os.write(fd, json.dumps(info).encode())
        self._fd = fd
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._fd is not None:
            os.ftruncate(self._fd, 0)
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


def _holder_info(fd: int) -> dict:
    try:
        info = json.loads(os.pread(fd, 4096, 0).decode() or "{}")
    except (OSError, ValueError):
        return {"pid": "?", "host": "?", "started": "? (unreadable lock file)"}
    return info if isinstance(info, dict) else {}


def _describe(info: dict) -> str:
    return f"pid {info.get('pid')} on {info.get('host')}, started {info.get('started')}"


def _read_holder(fd: int) -> str:
    info = _holder_info(fd)
    return _describe(info) if info else "holder unknown"
