"""What the pretrain notebook shows besides the shared training tables: how the corpus was packed."""

from __future__ import annotations

from typing import Any


def packing_frame(session: Any) -> Any:
    """Blocks, tokens and padding of the packed train and eval datasets of a prepared session."""
    import pandas as pd

    rows = {}
    for name, dataset in (("train", session.trainer.train_dataset), ("eval", session.trainer.eval_dataset)):
        masks = dataset["attention_mask"]
        real = sum(sum(m) for m in masks)
        total = sum(len(m) for m in masks)
        rows[name] = {"blocks": len(masks), "tokens": real, "padding": total - real, "block size": len(masks[0])}
    return pd.DataFrame(rows).T
