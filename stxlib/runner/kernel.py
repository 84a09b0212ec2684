"""A Jupyter kernel spec bound to the interpreter that runs stx.

A kernel name such as `python3` can resolve to another environment's kernel (nteract/papermill#251), so a
batch run checks that its kernel runs this environment's Python. It uses the kernel `stx` ("Python (stx)",
the one `make venv` registers and the notebooks name) when that one does, registering it into `sys.prefix`
when there is none; only when an `stx` kernel of another environment shadows it does it fall back to a
kernel named after a hash of `sys.executable` (one per interpreter, reused).
"""

from __future__ import annotations

import hashlib
import json
import sys
import tempfile
from pathlib import Path

STX_KERNEL = "stx"


def kernel_name_for(executable: str = sys.executable) -> str:
    return "stx-" + hashlib.sha1(executable.encode()).hexdigest()[:10]


def install_kernel(name: str, display_name: str) -> Path:
    """Install (or replace) a kernel spec for this interpreter under `sys.prefix`."""
    from jupyter_client.kernelspec import KernelSpecManager

    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": display_name,
        "language": "python",
        "metadata": {"debugger": True},
    }
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "kernel.json").write_text(json.dumps(spec, indent=1))
        where = KernelSpecManager().install_kernel_spec(tmp, kernel_name=name, prefix=sys.prefix, replace=True)
    return Path(where)


def runs_this_python(argv0: str) -> bool:
    """Whether a kernel's interpreter is this environment's (same bin folder: `python` or `python3`)."""
    if argv0 in ("python", "python3"):
        return False  # resolved through PATH: whichever environment is active at the time
    return Path(argv0).parent.resolve() == Path(sys.executable).parent.resolve()


def ensure_kernel() -> str:
    """Name of a kernel spec that runs `sys.executable`: `stx` when it does (registered if absent)."""
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    manager = KernelSpecManager()
    try:
        if runs_this_python(manager.get_kernel_spec(STX_KERNEL).argv[0]):
            return STX_KERNEL
    except NoSuchKernel:
        install_kernel(STX_KERNEL, "Python (stx)")
        if runs_this_python(KernelSpecManager().get_kernel_spec(STX_KERNEL).argv[0]):
            return STX_KERNEL
    name = kernel_name_for()
    try:
        spec = manager.get_kernel_spec(name)
    except NoSuchKernel:
        install_kernel(name, f"Python (stx, {sys.prefix})")
        spec = KernelSpecManager().get_kernel_spec(name)
    if spec.argv[0] != sys.executable:
        raise RuntimeError(
            f"kernel spec {name!r} in {spec.resource_dir} runs {spec.argv[0]}, not {sys.executable}; "
            f"remove it (jupyter kernelspec remove {name}) and run again"
        )
    return name
