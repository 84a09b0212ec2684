"""`Trainer` with the recipe's choices: 2023 loss scaling, sequential eval order, token counting that
survives a resume, and LoRA dtype kept across a resume."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from transformers import Trainer

TOKENS_FILE = "stx_tokens_rank{rank}.json"


@dataclass
class TokenCounts:
    """Tokens that went through training forward passes on this process."""

    padded: int = 0  # input positions, pads included (batch x longest sequence)
    real: int = 0  # non-pad positions (attention mask)
    target: int = 0  # positions with a label (what the loss is averaged over)

    def add(self, other: TokenCounts) -> TokenCounts:
        return TokenCounts(self.padded + other.padded, self.real + other.real, self.target + other.target)

    @property
    def nonpad_fraction(self) -> float | None:
        return self.real / self.padded if self.padded else None


class StxTrainer(Trainer):
    """The Trainer used for the STX recipe.

    - `loss_scaling="2023"`: the model does not receive `num_items_in_batch`, so each micro-batch loss is
      its own token mean and the Trainer divides by the accumulation steps (transformers 4.31's mean of
      micro-batch means). `"token_mean"`: transformers 5's mean over all target tokens of the step.
    - `eval_sampling="sequential"`: evaluation runs in file order even with length grouping on, as in 4.31.
    """

    def __init__(
        self,
        *args: Any,
        loss_scaling: str = "2023",
        eval_sampling: str = "sequential",
        lora_dtype: str = "bfloat16",
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        if self.args.n_gpu > 1:
            # One process trains on one GPU (the model is placed on it whole): without this the Trainer would
            # multiply the per-device batch by the visible GPUs. Use torchrun for several GPUs.
            self.args._n_gpu = 1
        if loss_scaling == "2023":
            self.model_accepts_loss_kwargs = False
        elif loss_scaling != "token_mean":
            raise ValueError(f"unknown loss_scaling {loss_scaling!r}; choose 2023 or token_mean")
        self.eval_sampling = eval_sampling
        self.lora_dtype = lora_dtype
        self.tokens = TokenCounts()
        self.tokens_at_start = TokenCounts()

    # ---- evaluation order

    def _get_eval_sampler(self, eval_dataset: Any) -> Any:
        if self.eval_sampling == "sequential":
            from torch.utils.data import SequentialSampler

            return SequentialSampler(eval_dataset) if self.args.world_size <= 1 else None
        return super()._get_eval_sampler(eval_dataset)

    # ---- token counting

    def training_step(self, model: Any, inputs: dict[str, Any], num_items_in_batch: Any = None) -> Any:
        ids = inputs["input_ids"]
        mask = inputs.get("attention_mask")
        labels = inputs.get("labels")
        self.tokens.padded += int(ids.numel())
        self.tokens.real += int(mask.sum()) if mask is not None else int(ids.numel())
        if labels is not None:
            self.tokens.target += int(labels[..., 1:].ne(-100).sum())
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
        from stxlib.train.lora import cast_like_qlora

        super()._load_from_checkpoint(resume_from_checkpoint, model)
        cast_like_qlora(self.model, self.lora_dtype)

    # ---- adapters only: peft would also save the resized embeddings (qlora's peft 0.4 did not)

    def _save(self, output_dir: str | None = None, state_dict: dict | None = None) -> None:
        from peft import PeftModel

        if not isinstance(self.model, PeftModel):
            return super()._save(output_dir, state_dict)
        output_dir = output_dir if output_dir is not None else self.args.output_dir
        if not self.args.should_save:
            return None
        os.makedirs(output_dir, exist_ok=True)
        self.model.save_pretrained(output_dir, save_embedding_layers=False, is_main_process=True)
        if self.processing_class is not None:
            self.processing_class.save_pretrained(output_dir)
        return None
