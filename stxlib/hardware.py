"""What the machine can do, as plain data (so that setting checks are testable on any machine), and the
process layout under torchrun: the one place that reads LOCAL_RANK / RANK / WORLD_SIZE and sets CPU threads."""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Hardware:
    """The accelerator this process trains on."""

    cuda: bool
    bf16: bool
    name: str


def detect_hardware() -> Hardware:
    """This process's device: its CUDA GPU (LOCAL_RANK under torchrun) or the CPU (bf16 via autocast)."""
    import torch

    if torch.cuda.is_available():
        index = cuda_device_index()
        return Hardware(cuda=True, bf16=torch.cuda.is_bf16_supported(), name=torch.cuda.get_device_name(index))
    return Hardware(cuda=False, bf16=True, name="cpu")


def world_size() -> int:
    """Number of training processes (torchrun sets WORLD_SIZE)."""
    return int(os.environ.get("WORLD_SIZE", "1"))


def process_rank() -> int:
    return int(os.environ.get("RANK", "0"))


def is_main_process() -> bool:
    return process_rank() == 0


def local_rank() -> int | None:
    """This process's rank on its node under torchrun (LOCAL_RANK), None outside torchrun."""
    value = os.environ.get("LOCAL_RANK")
    return int(value) if value is not None else None


def cuda_device_index() -> int:
    """The GPU this process uses: LOCAL_RANK under torchrun, else the current CUDA device."""
    import torch

    rank = local_rank()
    return rank if rank is not None else torch.cuda.current_device()


def set_cpu_threads(threads: int | None) -> int:
    """Restrict torch to `threads` CPU threads (None: leave torch's default); returns the count in use."""
    import torch

    if threads:
        torch.set_num_threads(threads)
    return torch.get_num_threads()
