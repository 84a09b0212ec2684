"""Shared test fixtures: repository paths, the shared reference folder, smoke params."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

# Tests never reach the Hugging Face Hub: fail fast instead of retrying a closed network.
os.environ.setdefault("HF_HUB_OFFLINE", "1")

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures"
SMOKE = REPO / "params" / "smoke.yaml"
CARD = REPO / "params" / "openorca_stx.yaml"


def shared_dir() -> Path:
    """`../shared` beside the checkout (CI places it there); STX_SHARED overrides."""
    return Path(os.environ.get("STX_SHARED", REPO.parent / "shared"))


@pytest.fixture(scope="session")
def shared() -> Path:
    path = shared_dir()
    if not (path / "data").is_dir():
        pytest.fail(f"reference folder not found at {path}; put ../shared beside the checkout or set STX_SHARED")
    return path


@pytest.fixture(scope="session")
def tiny_model_dir() -> Path:
    from stxlib.tiny_model import ensure_tiny_model

    return ensure_tiny_model()


@pytest.fixture(scope="module")
def one_cpu_thread():
    """Torch on one CPU thread for a module: the tiny model runs fastest (and steadiest on a shared CPU)
    that way, as the smoke params set it."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def run_stx(*args: str, cwd: Path = REPO, timeout: int = 900) -> subprocess.CompletedProcess[str]:
    """Run the `stx` console script of this interpreter's environment."""
    exe = Path(sys.executable).with_name("stx")
    return subprocess.run([str(exe), *args], cwd=cwd, capture_output=True, text=True, timeout=timeout)
