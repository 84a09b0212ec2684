"""One stage notebook through papermill, stoppable by Ctrl-C or SIGTERM.

papermill runs in a worker thread, so the main thread keeps Python's signal handling (nbclient's own
handlers need the main thread and are skipped) and can stop the kernel itself: the first signal interrupts
the running cell (SIGINT to the kernel, as Jupyter's stop button), a second one or 10 s without an answer
kill the kernel. The caller then gets `RunInterrupted` instead of an 80-line traceback.

The kernel talks over IPC sockets (no TCP port, hence no "running over TCP without encryption" warning of
ipykernel 7: nothing listens on the network) in a private temporary folder, removed after the stage.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import IO, Any

from stxlib.runner.console import StageConsole

STOP_GRACE_S = 10.0
EXIT_CODES = {signal.SIGINT: 130, signal.SIGTERM: 143}


class RunInterrupted(KeyboardInterrupt):
    """`stx run` was stopped by a signal; `signame` says which."""

    def __init__(self, signum: int) -> None:
        self.signum = signum
        self.signame = signal.Signals(signum).name
        super().__init__(self.signame)

    @property
    def exit_code(self) -> int:
        return EXIT_CODES.get(signal.Signals(self.signum), 128 + self.signum)


class _Stopper:
    """The run's signal state: which signal arrived, and the kernel of the running stage (if any)."""

    def __init__(self) -> None:
        self.signum: int | None = None
        self.count = 0
        self.kernel_pid: int | None = None
        self.executing = False
        self.first_at = 0.0

    def handle(self, signum: int, frame: Any) -> None:
        self.signum = self.signum or signum
        self.count += 1
        if not self.executing:
            raise RunInterrupted(signum)
        if self.count == 1:
            self.first_at = time.monotonic()
            self.signal_kernel(signal.SIGINT)
        else:
            self.signal_kernel(signal.SIGKILL)

    def signal_kernel(self, sig: int) -> None:
        if self.kernel_pid:
            with suppress(ProcessLookupError, PermissionError):
                os.kill(self.kernel_pid, sig)


_STOPPER = _Stopper()


@contextmanager
def stop_on_signals() -> Iterator[None]:
    """Within the block, SIGINT and SIGTERM raise `RunInterrupted` (or stop the running stage's kernel)."""
    global _STOPPER
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    _STOPPER = _Stopper()
    previous = {sig: signal.signal(sig, _STOPPER.handle) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _kernel_manager_class(socket_dir: Path, kernel_log: IO[bytes] | None) -> type:
    from jupyter_client.manager import AsyncKernelManager

    class StageKernelManager(AsyncKernelManager):
        """IPC sockets in `socket_dir` (absolute: kernel and client run in different folders; short: a socket
        path has at most ~100 bytes); the kernel process's own stderr (its log, not the cells' output, which
        comes as messages) goes to `kernel_log`; tells the stopper the kernel's pid once it has started."""

        def __init__(self, **kwargs: Any) -> None:
            kwargs.setdefault("transport", "ipc")
            kwargs.setdefault("ip", str(socket_dir / "k"))
            super().__init__(**kwargs)

        async def _async_launch_kernel(self, kernel_cmd: list[str], **kw: Any) -> None:
            if kernel_log is not None:
                kw["stderr"] = kernel_log
            await super()._async_launch_kernel(kernel_cmd, **kw)

        async def _async_post_start_kernel(self, **kw: Any) -> None:
            await super()._async_post_start_kernel(**kw)
            provisioner = getattr(self, "provisioner", None)
            _STOPPER.kernel_pid = getattr(provisioner, "pid", None)

    return StageKernelManager


def kernel_env(log_output: bool) -> dict[str, str]:
    """Environment for the kernel: see `docs` of `stx run` (progress refresh, OpenMP waiting)."""
    return {
        "TQDM_MININTERVAL": "5" if log_output else "1",
        # tqdm bars in stx's own helpers refresh every 2 s under `stx run` (the console thins them out)
        "STX_PROGRESS_INTERVAL": "2",
        # sleeping OpenMP workers: no harm on a quiet machine, 1.5x faster with a busy core (bench/RESULTS.md)
        "OMP_WAIT_POLICY": os.environ.get("OMP_WAIT_POLICY", "PASSIVE"),
    }


def execute_stage_notebook(
    source: Path,
    output: Path,
    parameters: dict[str, Any],
    kernel: str,
    cwd: Path,
    console: StageConsole,
    *,
    log_output: bool = False,
    env: dict[str, str] | None = None,
    kernel_log: Path | None = None,
) -> None:
    """Execute `source` into `output`; papermill's errors pass through, a signal raises `RunInterrupted`.
    `kernel_log` receives the kernel process's own log (ipykernel's messages), kept out of the terminal."""
    import papermill

    _papermill_logging(log_output)

    outcome: dict[str, BaseException] = {}
    socket_dir = Path(tempfile.mkdtemp(prefix="stx-kernel-"))
    if kernel_log is not None:
        kernel_log.parent.mkdir(parents=True, exist_ok=True)
    log_file = kernel_log.open("ab") if kernel_log is not None else None

    def work() -> None:
        try:
            papermill.execute_notebook(
                str(source),
                str(output),
                parameters=parameters,
                kernel_name=kernel,
                cwd=str(cwd),
                log_output=log_output,
                progress_bar=False,
                stdout_file=console.stdout,
                stderr_file=console.stderr,
                kernel_manager_class=_kernel_manager_class(socket_dir, log_file),
                coalesce_streams=True,  # the saved notebook keeps a progress bar's final state, not each refresh
            )
        except BaseException as err:  # handed to the main thread
            outcome["error"] = err

    saved = dict(os.environ)
    os.environ.update(env or {})
    stopper = _STOPPER
    stopper.executing, stopper.kernel_pid = True, None
    worker = threading.Thread(target=work, name=f"stx-{source.stem}", daemon=True)
    try:
        worker.start()
        while worker.is_alive():
            worker.join(0.2)
            console.tick()
            if stopper.signum and time.monotonic() - stopper.first_at > STOP_GRACE_S:
                stopper.signal_kernel(signal.SIGKILL)
    finally:
        stopper.executing = False
        shutil.rmtree(socket_dir, ignore_errors=True)
        if log_file is not None and kernel_log is not None:
            log_file.close()
            _drop_if_empty(kernel_log)
        os.environ.clear()
        os.environ.update(saved)
        console.close()
    if stopper.signum:
        raise RunInterrupted(stopper.signum)
    if "error" in outcome:
        raise outcome["error"]


def _drop_if_empty(log: Path) -> None:
    with suppress(OSError):
        if log.stat().st_size == 0:
            log.unlink()
            log.parent.rmdir()  # only when nothing else is in logs/


def _papermill_logging(log_output: bool) -> None:
    """papermill's logger: cell outputs at INFO with --log-output; otherwise silent (the runner reports a
    failed or stopped stage itself, so "Kernel died while waiting for execute reply" is not printed)."""
    logger = logging.getLogger("papermill")
    for handler in [h for h in logger.handlers if getattr(h, "stx", False)]:
        logger.removeHandler(handler)
    handler: logging.Handler = logging.StreamHandler(sys.stdout) if log_output else logging.NullHandler()
    handler.stx = True  # type: ignore[attr-defined]
    logger.addHandler(handler)
    logger.propagate = False
    logger.setLevel(logging.INFO if log_output else logging.CRITICAL)
