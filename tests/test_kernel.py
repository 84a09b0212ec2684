"""`stx run` executes notebooks in the interpreter that runs stx, never another environment's kernel, and
reuses the one `stx` kernel ("Python (stx)") instead of registering a second one."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from jupyter_client.kernelspec import KernelSpecManager

from stxlib.runner.kernel import STX_KERNEL, ensure_kernel, kernel_name_for, runs_this_python


def test_kernel_runs_this_interpreter_and_is_the_stx_kernel() -> None:
    before = KernelSpecManager().find_kernel_specs()
    name = ensure_kernel()
    assert runs_this_python(KernelSpecManager().get_kernel_spec(name).argv[0])
    stx_is_ours = STX_KERNEL not in before or runs_this_python(KernelSpecManager().get_kernel_spec(STX_KERNEL).argv[0])
    assert name == (STX_KERNEL if stx_is_ours else kernel_name_for(sys.executable))
    assert set(KernelSpecManager().find_kernel_specs()) <= set(before) | {STX_KERNEL}, "no second kernel"


def test_runs_this_python() -> None:
    assert runs_this_python(sys.executable)
    assert runs_this_python(str(Path(sys.executable).with_name("python3")))
    assert not runs_this_python("/opt/other-env/bin/python")
    assert not runs_this_python("python3"), "a bare name resolves through PATH, whatever env is active"


def test_a_shadowing_kernel_of_another_environment_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    other = {
        "argv": ["/opt/other-env/bin/python", "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "other",
        "language": "python",
    }
    for name in (STX_KERNEL, kernel_name_for(sys.executable)):
        spec_dir = tmp_path / "kernels" / name
        spec_dir.mkdir(parents=True)
        (spec_dir / "kernel.json").write_text(json.dumps(other))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path))  # searched before every other kernel folder
    with pytest.raises(RuntimeError, match=r"runs /opt/other-env/bin/python, not .*jupyter kernelspec remove"):
        ensure_kernel()
