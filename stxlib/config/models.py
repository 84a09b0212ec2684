"""`ModelRef`: one model an evaluation stage runs (JGLUE, llm-jp-eval, MT-Bench), shared by their sections."""

from __future__ import annotations

from stxlib.config.base import FolderName, Section


class ModelRef(Section):
    """A model to evaluate, under a label (its results folder).

    - `model`: hub id, local folder or `stx-tiny`; null means the run's base (`model.name_or_path`).
    - `adapter`: null, a PEFT adapter folder, or this run's adapter by name: `best` (= `train`, the STX
      recipe's `train/best_adapter`) or a training stage (`pretrain`, `sft`, `dpo`: `<stage>/best_adapter`).
    - `load_in_4bit`: load the model in 4-bit with `model.quantization`'s settings.
    """

    label: FolderName
    model: str | None = None
    adapter: str | None = None
    load_in_4bit: bool = False
