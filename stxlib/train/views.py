"""Tables for the training notebook (pandas)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from stxlib.config import StxConfig
from stxlib.formatting import fmt
from stxlib.history import eval_table


def settings_frame(config: StxConfig) -> Any:
    """The `lora` and `train` params side by side."""
    import pandas as pd

    frame = pd.DataFrame({"lora": pd.Series(config.lora.model_dump()), "train": pd.Series(config.train.model_dump())})
    return frame.fillna("")


def eval_loss_frame(log_history: Sequence[Mapping[str, Any]], best_step: int) -> Any:
    """One row per evaluation (step, epoch, eval_loss, the train loss logged just before), best marked."""
    import pandas as pd

    frame = pd.DataFrame(eval_table(log_history), columns=["step", "epoch", "eval_loss", "train_loss"])
    frame["best"] = ["◀ best" if step == best_step else "" for step in frame["step"]]
    return frame.set_index("step")


def summary_frame(summary: Mapping[str, Any]) -> Any:
    """train_summary.json as one column of text: floats rounded to 4 significant digits, counts as integers,
    "—" for a missing value."""
    import pandas as pd

    return pd.DataFrame({"value": [fmt(v) for v in summary.values()]}, index=list(summary))


def qa_frame(answers: Sequence[Mapping[str, str]]) -> Any:
    """Closed-QA answers (`answer_validation_questions`), the answer shown with its quotes (an empty or
    whitespace answer stays visible)."""
    import pandas as pd

    return pd.DataFrame(
        {
            "question": [a["question"] for a in answers],
            "gold": [a["gold"] for a in answers],
            "answer": [repr(a["answer"]) for a in answers],
        }
    )
