"""The benchmark's compute-bound model and the arithmetic lower bound of a job on this machine.

`build_compute_model`: a random Llama of about 28M parameters (hidden 512, 8 layers of 8 heads, intermediate
1376, context 2048) on the tiny model's tokenizer (3,002 tokens, trained on the fixtures: Japanese text takes
about one token per character), seed 0, float32. A random Llama's greedy output loops on a few tokens and never
writes "\\n", so every JSQuAD answer would run to 256 tokens, unlike a trained model's; the output row of "\\n"
is therefore set to `stop_nudge` times the sum of the rows of the six tokens the seed-0 model loops on, so that
most answers stop at once and a few run long (0.22: 1,028 new tokens over the 60 benchmark documents; the
issue's model generated 693). The folder is rebuilt when its recipe changes.

`forward_flops` counts a forward pass: 2 x the linear weights per token, the attention products (2 x 2 x
heads x head_dim per key a query sees, per layer) and 2 x hidden x vocab per position whose logits are
needed. `measure_rate` runs the model on dense batches (no padding) and returns FLOP/s: the rate this model's
forward pass actually reaches here, GEMMs and the rest. Work / rate is the lower bound of a job.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

SHAPE = {
    "hidden_size": 512,
    "num_hidden_layers": 8,
    "num_attention_heads": 8,
    "num_key_value_heads": 8,
    "intermediate_size": 1376,
    "max_position_embeddings": 2048,
}
SEED = 0
LOOP_TOKENS = (1524, 268, 96, 2754, 933, 2858)  # what the seed-0 model writes over and over (tiny tokenizer)
DEFAULT_STOP_NUDGE = 0.22


def build_compute_model(folder: Path, stop_nudge: float = DEFAULT_STOP_NUDGE) -> Path:
    """Save the benchmark model (and the tiny tokenizer) in `folder`, unless it is there with this recipe."""
    import torch
    from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM

    from stxlib.tiny_model import ensure_tiny_model

    recipe = {"shape": SHAPE, "seed": SEED, "stop_nudge": stop_nudge, "loop_tokens": LOOP_TOKENS, "version": 1}
    stamp = folder / "bench_recipe.json"
    if stamp.is_file() and json.loads(stamp.read_text()) == json.loads(json.dumps(recipe)):
        return folder
    tokenizer = AutoTokenizer.from_pretrained(str(ensure_tiny_model()))
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        tie_word_embeddings=False,
        **SHAPE,
    )
    torch.manual_seed(SEED)
    model = LlamaForCausalLM(config)
    if stop_nudge:
        newline = tokenizer.encode("\n", add_special_tokens=False)[-1]
        head = model.get_output_embeddings().weight
        with torch.no_grad():
            head[newline] = stop_nudge * head[list(LOOP_TOKENS)].sum(0)
    folder.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    stamp.write_text(json.dumps(recipe))
    return folder


@dataclass(frozen=True)
class FlopModel:
    """Forward-pass FLOPs of a decoder-only transformer (multiply-adds x 2)."""

    linear: int  # per token, all layers
    attention: int  # per (query, key) pair, all layers
    head: int  # per position whose logits are computed

    @classmethod
    def of(cls, config) -> FlopModel:
        d, layers = config.hidden_size, config.num_hidden_layers
        heads = config.num_attention_heads
        kv = getattr(config, "num_key_value_heads", None) or heads
        head_dim = getattr(config, "head_dim", None) or d // heads
        attention = d * heads * head_dim + 2 * d * kv * head_dim + heads * head_dim * d
        per_layer = attention + 3 * d * config.intermediate_size
        return cls(2 * per_layer * layers, 2 * 2 * heads * head_dim * layers, 2 * d * config.vocab_size)

    def sequence(self, start: int, n: int, logits: int) -> float:
        """Positions `start .. start + n - 1` of one sequence (each sees every key up to itself), `logits` of
        them projected onto the vocabulary."""
        keys = n * start + n * (n + 1) // 2
        return float(self.linear * n + self.attention * keys + self.head * logits)

    def choices(self, context: int, choices: Sequence[int], repeat_context: bool = False) -> float:
        """One multiple-choice document: the context once and each choice's tokens but its last (stx, the
        bound), or the context again with every choice and logits everywhere (`repeat_context`: lm-eval)."""
        if repeat_context:
            return sum(self.sequence(0, context + c - 1, context + c - 1) for c in choices)
        return self.sequence(0, context, 1) + sum(self.sequence(context, c - 1, c - 1) for c in choices)

    def generation(self, prompt: int, new: int) -> float:
        """One generated answer: the prompt, then every new token but the last fed back, a logit row each."""
        return self.sequence(0, prompt, 1) + self.sequence(prompt, max(new - 1, 0), max(new - 1, 0))


def measure_rate(model, flops: FlopModel, shapes=((4, 512), (8, 256), (2, 1024)), repeats: int = 3) -> float:
    """FLOP/s of the model's forward pass on dense random batches: the best of `repeats` per shape, then the
    median over shapes."""
    import statistics

    import torch

    rates = []
    generator = torch.Generator().manual_seed(0)
    vocab = model.config.vocab_size
    for batch, length in shapes:
        ids = torch.randint(3, vocab, (batch, length), generator=generator)
        work = batch * flops.sequence(0, length, 1)
        with torch.inference_mode():
            model(input_ids=ids, logits_to_keep=1)  # warm-up
            best = float("inf")
            for _ in range(repeats):
                start = time.perf_counter()
                model(input_ids=ids, logits_to_keep=1)
                best = min(best, time.perf_counter() - start)
        rates.append(work / best)
    return statistics.median(rates)
