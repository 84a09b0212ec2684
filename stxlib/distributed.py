"""Data parallelism for evaluation under `torchrun`: one deterministic shard of the work per rank, gathered back
in the original order on every rank, and the launcher that starts a module under torchrun.

Under `torchrun --nproc_per_node N` (WORLD_SIZE > 1) the first collective call joins the process group (gloo
on CPU, nccl on CUDA, each rank on its LOCAL_RANK GPU). Rank r takes items r, r + N, r + 2N, ... (strided,
so long and short documents spread evenly); `gather_shards` rebuilds the full list in item order. Outside
torchrun every function is a no-op on one process. The engine's `ShardedBackend` (`stxlib.engine.sharded`)
uses this; the suites write files on rank 0 only (`is_main_process`).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence
from datetime import timedelta
from typing import Any, TypeVar

from stxlib.hardware import is_main_process, local_rank, process_rank, world_size

T = TypeVar("T")

GROUP_TIMEOUT = timedelta(hours=2)  # a rank may wait this long for the others (e.g. rank 0 loading a model)

__all__ = [
    "distributed",
    "ensure_process_group",
    "gather_shards",
    "interleave",
    "is_main_process",
    "launch",
    "shard",
    "torchrun_command",
]


def distributed() -> bool:
    """True under torchrun with more than one process."""
    return world_size() > 1


def ensure_process_group() -> None:
    """Join torchrun's process group once (gloo without CUDA, nccl with it); nothing on one process."""
    if not distributed():
        return
    import torch
    import torch.distributed as dist

    if dist.is_initialized():
        return
    if torch.cuda.is_available():
        device = torch.device("cuda", local_rank() or 0)
        torch.cuda.set_device(device)
        dist.init_process_group("nccl", timeout=GROUP_TIMEOUT, device_id=device)
    else:
        dist.init_process_group("gloo", timeout=GROUP_TIMEOUT)


def shard(items: Sequence[T]) -> list[T]:
    """This rank's items: every WORLD_SIZE-th one, starting at RANK (all of them on one process)."""
    return list(items[process_rank() :: world_size()])


def gather_shards(local: Sequence[T], total: int) -> list[T]:
    """Every rank's shard results (picklable), back in item order, on every rank. `total`: the item count."""
    if not distributed():
        return list(local)
    import torch.distributed as dist

    ensure_process_group()
    parts: list[Any] = [None] * world_size()
    dist.all_gather_object(parts, list(local))
    return interleave(parts, total)


def interleave(parts: Sequence[Sequence[T]], total: int) -> list[T]:
    """The inverse of `shard` over all ranks: `parts[r]` holds items r, r + N, ...; returns items 0..total-1."""
    merged: list[Any] = [None] * total
    for rank, part in enumerate(parts):
        expected = len(range(rank, total, len(parts)))
        if len(part) != expected:
            raise RuntimeError(f"rank {rank} returned {len(part)} results for its {expected} items")
        merged[rank :: len(parts)] = list(part)
    return merged


def torchrun_command(nproc: int, module: str, args: Sequence[str]) -> list[str]:
    """`python -m torch.distributed.run --nproc_per_node N -m MODULE ARGS...` with this interpreter (the same
    as the `torchrun` script, without relying on it being on PATH)."""
    return [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        f"--nproc_per_node={nproc}",
        "-m",
        module,
        *args,
    ]


def launch(nproc: int, module: str, args: Sequence[str]) -> None:
    """Run `module` under torchrun with `nproc` processes and wait; a failing rank raises RuntimeError."""
    command = torchrun_command(nproc, module, args)
    env = dict(os.environ)
    for name in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT"):
        env.pop(name, None)  # a launcher inside a rank would inherit the wrong layout
    done = subprocess.run(command, env=env, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed with exit status {done.returncode}")
