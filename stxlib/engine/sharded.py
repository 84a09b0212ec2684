"""`ShardedBackend`: any backend, data parallel under torchrun. Each rank runs its shard of a call's requests
(`stxlib.distributed.shard`) on its own copy of the model; the outputs are gathered back in request order on
every rank, so the suites compute the same metrics and rank 0 writes the same files as one process.

Progress: rank 0 reports its own shard as it goes and the rest once the shards are gathered (one bar, on
rank 0; `progress_bar` is silent on the other ranks). `stats` counts what this rank's model computed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from stxlib.distributed import distributed, ensure_process_group, gather_shards, is_main_process, shard
from stxlib.engine.requests import ChoiceItem, Generation, GenerationRequest, Progress

T = TypeVar("T")
R = TypeVar("R")


def _no_progress(n: int) -> None:
    pass


class ShardedBackend:
    """Wraps a backend: `generate` and `loglikelihoods` split over the ranks; everything else is the inner
    backend's (tokenizer, encode, info, max_length, stats, close, ...)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        ensure_process_group()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def generate(self, requests: Sequence[GenerationRequest], progress: Progress | None = None) -> list[Generation]:
        return self._sharded(self.inner.generate, requests, progress)

    def loglikelihoods(self, items: Sequence[ChoiceItem], progress: Progress | None = None) -> list[list[float]]:
        return self._sharded(self.inner.loglikelihoods, items, progress)

    def _sharded(
        self, call: Callable[[Sequence[T], Progress], list[R]], items: Sequence[T], progress: Progress | None
    ) -> list[R]:
        report = progress or _no_progress
        main = is_main_process()
        mine = shard(items)
        local = call(mine, report if main else _no_progress) if mine else []
        merged = gather_shards(local, len(items))
        if main:
            report(len(items) - len(mine))
        return merged


def shard_backend(backend: Any) -> Any:
    """`backend` data parallel under torchrun (WORLD_SIZE > 1); the backend itself on one process."""
    if not distributed() or isinstance(backend, ShardedBackend):
        return backend
    return ShardedBackend(backend)
