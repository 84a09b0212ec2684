"""Few-shot selection exactly as jp-stable's evaluator did it (`specs/jglue-0.3.md` §2).

Per task, a fresh `random.Random(42)` first shuffles the evaluation documents, then, in that shuffled
order, draws `rng.sample(train_docs, k)` for each document: the same generator is consumed sequentially,
so every document gets its own deterministic shots, and a `--limit` keeps the first N documents of the
shuffled order with exactly the shots of a full run.

CPython's `shuffle` and `sample` depend only on the length of the sequence, so shuffling/sampling index
lists gives the same permutation and the same picks as shuffling/sampling the row lists themselves (the
real JCommonsenseQA v1.1 shot list in `shared/data/golden/` checks this for all 1,119 documents).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from stxlib.jglue.tasks import Row

FEWSHOT_SEED = 42
ShotPool = Literal["train", "validation"]


@dataclass(frozen=True)
class PlannedDoc:
    """One evaluation document: its place in the shuffled order, its row index and its shots."""

    position: int  # index in evaluation (shuffled) order
    doc_id: int  # 0-based index in the validation split's order
    shot_ids: tuple[int, ...]  # indices into the shot pool, in prompt order


def plan_documents(
    eval_rows: Sequence[Row],
    pool_rows: Sequence[Row],
    k: int,
    *,
    pool: ShotPool = "train",
    seed: int = FEWSHOT_SEED,
    limit: int | None = None,
) -> list[PlannedDoc]:
    """The evaluation order and shots of every document (the first `limit` of the shuffled order).

    `pool="train"` is the jp-stable procedure (shots from the train split). `pool="validation"` is the
    harness's own fallback for a task without training docs: `rng.sample(validation, k + 1)`, drop the
    document being evaluated (compared by value), keep the first k. Then `pool_rows` is the validation split.
    """
    if k < 0:
        raise ValueError(f"few-shot count must be >= 0, got {k}")
    if limit is not None and limit < 1:
        raise ValueError(f"limit must be a positive integer or None, got {limit}")
    need = k + 1 if pool == "validation" else k
    if k and len(pool_rows) < need:
        raise ValueError(f"cannot draw {need} shot(s) from a {pool} pool of {len(pool_rows)} row(s); lower the count")
    rng = random.Random(seed)
    order = list(range(len(eval_rows)))
    rng.shuffle(order)
    pool_ids = range(len(pool_rows))
    planned = []
    for position, doc_id in enumerate(order[:limit] if limit is not None else order):
        if k == 0:
            shots: list[int] = []
        elif pool == "train":
            shots = rng.sample(pool_ids, k)
        else:
            doc = eval_rows[doc_id]
            shots = [i for i in rng.sample(pool_ids, k + 1) if pool_rows[i] != doc][:k]
        planned.append(PlannedDoc(position, doc_id, tuple(shots)))
    return planned
