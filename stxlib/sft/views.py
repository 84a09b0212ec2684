"""What the sft notebook shows: one rendered training conversation and the part of it that carries labels."""

from __future__ import annotations

from typing import Any

from stxlib.tokenization import IGNORE_INDEX


def label_preview(session: Any, index: int = 0) -> Any:
    """The rendered text of training row `index` and the text of its labelled tokens (assistant turns + EOS)."""
    import pandas as pd

    row = session.trainer.train_dataset[index]
    tokenizer = session.tokenizer
    trained = [t for t in row["labels"] if t != IGNORE_INDEX]
    return pd.DataFrame(
        {
            "text": [
                tokenizer.decode(row["input_ids"]),
                tokenizer.decode(trained),
            ],
            "tokens": [len(row["input_ids"]), len(trained)],
        },
        index=["rendered conversation", "labelled tokens (loss)"],
    )
