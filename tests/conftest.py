"""Shared pytest fixtures: the shared reference folder, the tiny model, one CPU thread. Plain helpers
(paths, `run_stx`, builders) live in `helpers.py` and `synthetic_run.py`; import them from there."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from helpers import shared_dir

# Tests never reach the Hugging Face Hub: fail fast instead of retrying a closed network.
os.environ.setdefault("HF_HUB_OFFLINE", "1")


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
