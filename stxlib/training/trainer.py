"""What every session's Trainer does besides training: token counts that survive a resume, adapter-only
checkpoints, the LoRA dtype kept across a resume, one GPU per process, and two opt-in recipe choices
(2023 loss scaling, sequential evaluation order).

`SessionTrainerMixin` goes first in a Trainer subclass, so that it works over transformers' `Trainer`
(`SessionTrainer`) and over trl's trainers alike (`class DPOSessionTrainer(SessionTrainerMixin, DPOTrainer)`).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from transformers import Trainer

from stxlib.tokenization import IGNORE_INDEX

TOKENS_FILE = "stx_tokens_rank{rank}.json"


@dataclass
class TokenCounts:
    """Tokens that went through training forward passes on this process."""

    padded: int = 0  # input positions, pads included (batch x longest sequence)
    real: int = 0  # non-pad positions (attention mask)
    target: int = 0  # positions with a label (what the loss is averaged over)

    @property
    def nonpad_fraction(self) -> float | None:
        return self.real / self.padded if self.padded else None


class SessionTrainerMixin:
    """Keywords (all optional; None keeps the Trainer's own behaviour):

    - `loss_scaling="2023"`: the model does not receive `num_items_in_batch`, so each micro-batch loss is
      its own token mean and the Trainer divides by the accumulation steps (transformers 4.31's mean of
      micro-batch means). `"token_mean"` (or None): transformers 5's mean over all target tokens of the step.
    - `eval_sampling="sequential"`: evaluation runs in dataset order even with length grouping on, as in 4.31.
    - `lora_dtype`: "bfloat16"/"float32", re-applied after a resume (peft's `load_adapter` upcasts bf16 adapters).
    - `save_embedding_layers`: peft's flag for adapter checkpoints (False: LoRA weights and `modules_to_save`
      only, without the resized embeddings, as qlora's peft 0.4 saved them).
    """

    def __init__(
        self,
        *args: Any,
        loss_scaling: str | None = None,
        eval_sampling: str | None = None,
        lora_dtype: str | None = None,
        save_embedding_layers: bool | str = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        if self.args.n_gpu > 1:
            # One process trains on one GPU (the model is placed on it whole): without this the Trainer would
            # multiply the per-device batch by the visible GPUs. Use torchrun for several GPUs.
            self.args._n_gpu = 1
        if loss_scaling == "2023":
            self.model_accepts_loss_kwargs = False
        elif loss_scaling not in (None, "token_mean"):
            raise ValueError(f"unknown loss_scaling {loss_scaling!r}; choose 2023 or token_mean")
        if eval_sampling not in (None, "sequential", "group_by_length"):
            raise ValueError(f"unknown eval_sampling {eval_sampling!r}; choose sequential or group_by_length")
        self.eval_sampling = eval_sampling
        self.lora_dtype = lora_dtype
        self.save_embedding_layers = save_embedding_layers
        self.tokens = TokenCounts()
        self.tokens_at_start = TokenCounts()

    # ---- evaluation order

    def _get_eval_sampler(self, eval_dataset: Any) -> Any:
        if self.eval_sampling == "sequential":
            from torch.utils.data import SequentialSampler

            return SequentialSampler(eval_dataset) if self.args.world_size <= 1 else None
        return super()._get_eval_sampler(eval_dataset)

    # ---- token counting

    @staticmethod
    def target_tokens(inputs: dict[str, Any]) -> int:
        """Positions the loss is taken over: labels other than -100 after the first position (causal shift),
        or trl's `completion_mask` (preference batches carry no labels)."""
        labels = inputs.get("labels")
        if labels is not None:
            return int(labels[..., 1:].ne(IGNORE_INDEX).sum())
        mask = inputs.get("completion_mask")
        return int(mask.sum()) if mask is not None else 0

    def training_step(self, model: Any, inputs: dict[str, Any], num_items_in_batch: Any = None) -> Any:
        ids = inputs.get("input_ids")
        if ids is not None:
            mask = inputs.get("attention_mask")
            self.tokens.padded += int(ids.numel())
            self.tokens.real += int(mask.sum()) if mask is not None else int(ids.numel())
            self.tokens.target += self.target_tokens(inputs)
        return super().training_step(model, inputs, num_items_in_batch)

    def _save_checkpoint(self, model: Any, trial: Any) -> None:
        super()._save_checkpoint(model, trial)
        folder = Path(self._get_output_dir(trial)) / f"checkpoint-{self.state.global_step}"
        path = folder / TOKENS_FILE.format(rank=self.args.process_index)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps(asdict(self.tokens)))
        os.replace(tmp, path)

    def restore_token_counts(self, checkpoint: str | Path) -> None:
        """Counts as of `checkpoint` (this process's file), so totals stay right after a resume."""
        path = Path(checkpoint) / TOKENS_FILE.format(rank=self.args.process_index)
        if path.is_file():
            self.tokens = TokenCounts(**json.loads(path.read_text()))
            self.tokens_at_start = TokenCounts(**asdict(self.tokens))

    def total_token_counts(self) -> tuple[TokenCounts, TokenCounts]:
        """(all tokens so far, tokens of this session), summed over processes."""
        import torch

        local = torch.tensor(
            [
                self.tokens.padded,
                self.tokens.real,
                self.tokens.target,
                self.tokens_at_start.padded,
                self.tokens_at_start.real,
                self.tokens_at_start.target,
            ],
            dtype=torch.long,
            device=self.args.device,
        )
        if self.args.world_size > 1:
            local = self.accelerator.reduce(local, reduction="sum")
        values = [int(v) for v in local.tolist()]
        total = TokenCounts(*values[:3])
        start = TokenCounts(*values[3:])
        session = TokenCounts(total.padded - start.padded, total.real - start.real, total.target - start.target)
        return total, session

    # ---- resume keeps the LoRA dtype (peft's load_adapter upcasts bf16 adapters to fp32)

    def _load_from_checkpoint(self, resume_from_checkpoint: str, model: Any = None) -> None:
        super()._load_from_checkpoint(resume_from_checkpoint, model)
        if self.lora_dtype is not None and _is_peft(self.model):
            from stxlib.training.model import cast_like_qlora

            cast_like_qlora(self.model, self.lora_dtype)

    # ---- adapter checkpoints: peft would also save the resized embeddings (qlora's peft 0.4 did not)

    def _save(self, output_dir: str | None = None, state_dict: dict | None = None) -> None:
        if not _is_peft(self.model):
            return super()._save(output_dir, state_dict)
        output_dir = output_dir if output_dir is not None else self.args.output_dir
        if not self.args.should_save:
            return None
        os.makedirs(output_dir, exist_ok=True)
        self.model.save_pretrained(output_dir, save_embedding_layers=self.save_embedding_layers, is_main_process=True)
        if self.processing_class is not None:
            self.processing_class.save_pretrained(output_dir)
        return None


def _is_peft(model: Any) -> bool:
    from peft import PeftModel

    return isinstance(model, PeftModel)


class SessionTrainer(SessionTrainerMixin, Trainer):
    """transformers' `Trainer` with the session's additions (the default `TrainingKind.trainer_class`)."""
