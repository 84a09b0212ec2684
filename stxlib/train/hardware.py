"""What the machine can do, as plain data, so that setting checks are testable on any machine."""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Hardware:
    """The accelerator this process trains on."""

    cuda: bool
    bf16: bool
    name: str

    @property
    def kind(self) -> str:
        return "cuda" if self.cuda else "cpu"


def detect_hardware() -> Hardware:
    """This process's device: its CUDA GPU (LOCAL_RANK under torchrun) or the CPU (bf16 via autocast)."""
    import torch

    if torch.cuda.is_available():
        index = int(os.environ.get("LOCAL_RANK", torch.cuda.current_device()))
        return Hardware(cuda=True, bf16=torch.cuda.is_bf16_supported(), name=torch.cuda.get_device_name(index))
    return Hardware(cuda=False, bf16=True, name="cpu")


def world_size() -> int:
    """Number of training processes (torchrun sets WORLD_SIZE)."""
    return int(os.environ.get("WORLD_SIZE", "1"))


def process_rank() -> int:
    return int(os.environ.get("RANK", "0"))


def is_main_process() -> bool:
    return process_rank() == 0
