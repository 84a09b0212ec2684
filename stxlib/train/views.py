"""Tables for the training notebook (pandas)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from stxlib.train.summary import eval_table


def eval_loss_frame(log_history: Sequence[Mapping[str, Any]], best_step: int) -> Any:
    """One row per evaluation (step, epoch, eval_loss, the train loss logged just before), best marked."""
    import pandas as pd

    frame = pd.DataFrame(eval_table(log_history), columns=["step", "epoch", "eval_loss", "train_loss"])
    frame["best"] = ["◀ best" if step == best_step else "" for step in frame["step"]]
    return frame.set_index("step")


def summary_frame(summary: Mapping[str, Any]) -> Any:
    import pandas as pd

    return pd.DataFrame({"value": [str(v) for v in summary.values()]}, index=list(summary))


def qa_examples(rows: Sequence[Mapping[str, str]], n: int = 2, source: str = "tydiqa") -> list[dict[str, str]]:
    """The first `n` closed-QA rows of `source`, split back into context and question (the template is
    `passage + "\\n\\n" + question`; the question is the last paragraph)."""
    picked = []
    for row in rows:
        if row.get("source") != source or "\n\n" not in row["input"]:
            continue
        context, question = row["input"].rsplit("\n\n", 1)
        picked.append({"context": context, "question": question, "gold": row["output"]})
        if len(picked) == n:
            break
    return picked
