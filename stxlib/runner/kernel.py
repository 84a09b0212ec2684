"""A Jupyter kernel spec bound to the interpreter that runs stx.

A kernel name such as `python3` can resolve to another environment's kernel (nteract/papermill#251),
so batch runs use a kernel named after a hash of `sys.executable`, installed into `sys.prefix` and
checked to point at this interpreter.
"""

from __future__ import annotations

import hashlib
import json
import sys
import tempfile
from pathlib import Path


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


def ensure_kernel() -> str:
    """Name of a kernel spec that runs `sys.executable`; installed on first use."""
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    name = kernel_name_for()
    manager = KernelSpecManager()
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
