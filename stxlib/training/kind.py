"""What a training stage hands the session: a `TrainingSpec` (which model, which settings, which folder) and a
`TrainingKind` (what differs between completion, raw-text, chat and preference training).

The session (`stxlib.training.session.prepare_session`) calls the kind's hooks in this order:

1. `datasets(tokenizer)`: the (train, eval) datasets, after the tokenizer is set up;
2. `fingerprint()`: named hashes of everything that shapes the trajectory (checked before resuming);
3. `lora_fields()`: extra `peft.LoraConfig` fields (e.g. `modules_to_save`) when training LoRA;
4. `argument_fields()`: extra or overriding fields of the arguments object (`arguments_class`);
5. `collator(tokenizer)` and `trainer_kwargs()`: given to `trainer_class(...)`;
6. `summary_fields()` and `describe_fields()`: what the summary and the notebook's model table add.

A kind never loads the model, never touches checkpoints and never writes the stage's outputs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stxlib.config import LoraSection, ModelSection
from stxlib.config.training import TrainerSettings
from stxlib.paths import TrainingDirs


@dataclass(frozen=True)
class TrainingSpec:
    """The params-level description of one training run.

    - `section`: the params key of `trainer` (e.g. `"train"`, `"sft"`), used in error messages;
    - `dirs`: the stage's folder (`RunPaths.training(stage)`);
    - `model`: the base to load (4-bit when `model.quantization.load_in_4bit`), its tokenizer, pad and EOS;
    - `trainer`: the shared Trainer hyperparameters (`TrainerSettings` or a subclass);
    - `lora`: the LoRA adapter to train, or None for full fine-tuning (needs an unquantised model; the best
      step is exported as a whole model to `final/` instead of `best_adapter/`);
    - `seed`: set before the model is built (LoRA's initial weights) and given to the Trainer;
    - `init_adapter`: start from this saved adapter (trainable) instead of a fresh one, e.g. DPO after SFT;
    - `add_data_hint` / `eval_data_hint`: how to get more training rows / a validation split (error messages).
    """

    section: str
    dirs: TrainingDirs
    model: ModelSection
    trainer: TrainerSettings
    lora: LoraSection | None
    seed: int
    init_adapter: Path | None = None
    add_data_hint: str = "add training data"
    eval_data_hint: str = "give the stage a validation split"

    @property
    def full_finetune(self) -> bool:
        return self.lora is None

    def key(self, name: str) -> str:
        """`train.bf16` for `name="bf16"` (the params key in messages)."""
        return f"{self.section}.{name}"


class TrainingKind:
    """Base of every training kind; override what differs. The defaults train a causal LM with the plain
    `SessionTrainer` (a `transformers.Trainer`) on datasets the kind must provide.

    Class attributes:

    - `name`: recorded in the summary (`training_kind`), e.g. `"completion"`, `"causal_lm"`, `"chat"`,
      `"preference"`;
    - `trainer_class`: a subclass of `stxlib.training.trainer.SessionTrainerMixin` and a Trainer, mixin first
      (`SessionTrainer` for transformers' `Trainer`; `class DPOSessionTrainer(SessionTrainerMixin, DPOTrainer)`
      for trl). The session calls it with the Trainer's keywords (`model`, `args`, `train_dataset`,
      `eval_dataset`, `data_collator`, `processing_class`, `callbacks`), the mixin's (`lora_dtype`,
      `save_embedding_layers`), `peft_config` when `peft_in_trainer`, and `trainer_kwargs()`;
    - `arguments_class`: `transformers.TrainingArguments` or a subclass such as trl's `DPOConfig`. The session
      fills it from `TrainerSettings` explicitly (so the subclass's own defaults apply only to fields the
      settings do not set) and then applies `argument_fields()`;
    - `peft_in_trainer`: True when the Trainer wraps the model in LoRA itself from `peft_config` (trl's
      `DPOTrainer`): the session then loads and prepares the base (`prepare_model_for_kbit_training`, which
      trl no longer calls) and passes `peft_config=LoraConfig(...)` instead of wrapping it; with
      `spec.init_adapter` it passes the trainable `PeftModel` and no `peft_config` (trl copies the adapter as the
      frozen reference);
    - `save_embedding_layers`: what checkpoints save besides the LoRA weights (peft's `save_embedding_layers`:
      False keeps an adapter free of the resized embeddings, as qlora's did; `"auto"` saves them when the
      vocabulary grew). Trainable `modules_to_save` are always saved.
    """

    name: str = "causal_lm"
    trainer_class: type | None = None  # None: stxlib.training.trainer.SessionTrainer
    arguments_class: type | None = None  # None: transformers.TrainingArguments
    peft_in_trainer: bool = False
    save_embedding_layers: bool | str = False

    def datasets(self, tokenizer: Any) -> tuple[Any, Any]:
        """(train, eval) datasets (`datasets.Dataset`) in the form `collator` / the Trainer expects. Raise
        `TrainSetupError` naming the missing input and the stage that makes it."""
        raise NotImplementedError(f"{type(self).__name__} must define datasets(tokenizer)")

    def fingerprint(self) -> Mapping[str, Any]:
        """Named hashes of the params parts and input files that shape the trajectory (e.g.
        `{"run.seed": ..., "data": ..., "data files": ..., "model": ..., "lora": ..., "train": ...}`); checkpoints
        made under another fingerprint are refused, naming the parts that changed. The session adds
        `processes`."""
        raise NotImplementedError(f"{type(self).__name__} must define fingerprint()")

    def collator(self, tokenizer: Any) -> Any | None:
        """The `data_collator`, or None for the Trainer's default."""
        return None

    def lora_fields(self) -> Mapping[str, Any]:
        """Extra `LoraConfig` fields, e.g. `{"modules_to_save": ["embed_tokens", "lm_head"]}` to train the
        embedding rows of an extended tokenizer."""
        return {}

    def argument_fields(self) -> Mapping[str, Any]:
        """Extra or overriding `arguments_class` fields, e.g. `{"neftune_noise_alpha": 5.0}` (SFT) or
        `{"beta": 0.1, "loss_type": ["sigmoid"], "max_length": 1024}` (DPO)."""
        return {}

    def trainer_kwargs(self) -> Mapping[str, Any]:
        """Extra keywords for `trainer_class`, e.g. the mixin's `loss_scaling` and `eval_sampling`."""
        return {}

    def summary_fields(self) -> Mapping[str, Any]:
        """What the kind adds to `train_summary.json` (after the scheduler settings)."""
        return {}

    def describe_fields(self) -> Mapping[str, Any]:
        """What the kind adds to the notebook's model table."""
        return {}
