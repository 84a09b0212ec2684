"""`stx run` executes notebooks in the interpreter that runs stx, never another environment's kernel."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from jupyter_client.kernelspec import KernelSpecManager

from stxlib.runner.kernel import ensure_kernel, kernel_name_for


def test_kernel_runs_this_interpreter() -> None:
    name = ensure_kernel()
    assert name == kernel_name_for(sys.executable)
    assert KernelSpecManager().get_kernel_spec(name).argv[0] == sys.executable


def test_a_shadowing_kernel_of_another_environment_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    name = kernel_name_for(sys.executable)
    spec_dir = tmp_path / "kernels" / name
    spec_dir.mkdir(parents=True)
    other = {
        "argv": ["/opt/other-env/bin/python", "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "other",
        "language": "python",
    }
    (spec_dir / "kernel.json").write_text(json.dumps(other))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path))  # searched before every other kernel folder
    with pytest.raises(RuntimeError, match=r"runs /opt/other-env/bin/python, not .*jupyter kernelspec remove"):
        ensure_kernel()
