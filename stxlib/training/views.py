"""Tables the Shisa training notebooks show (pandas): a stage's settings, its evaluations, its summary."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from stxlib.config.base import Section
from stxlib.history import eval_table


def settings_frame(section: Section, name: str) -> Any:
    """A params section (nested sections flattened as `lora.r`, lists as text) as one column."""
    import pandas as pd

    flat: dict[str, str] = {}
    for key, value in section.model_dump(mode="json").items():
        if isinstance(value, dict):
            flat.update({f"{key}.{k}": str(v) for k, v in value.items()})
        else:
            flat[key] = str(value)
    return pd.DataFrame({name: pd.Series(flat)})


def eval_loss_frame(log_history: Sequence[Mapping[str, Any]], best_step: int) -> Any:
    """One row per evaluation (step, epoch, eval_loss, the train loss logged just before), best marked."""
    import pandas as pd

    frame = pd.DataFrame(eval_table(log_history), columns=["step", "epoch", "eval_loss", "train_loss"])
    frame["best"] = ["◀ best" if step == best_step else "" for step in frame["step"]]
    return frame.set_index("step")


def summary_frame(summary: Mapping[str, Any]) -> Any:
    import pandas as pd

    return pd.DataFrame({"value": [str(v) for v in summary.values()]}, index=list(summary))
