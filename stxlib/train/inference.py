"""The card's closed-QA use: `context + "\n\n" + question`, greedy, 128 new tokens, base + adapter."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from stxlib.config import StxConfig
from stxlib.paths import RunPaths

MAX_NEW_TOKENS = 128
QA_FILE = "closed_qa.json"  # in train/: the answers the notebook shows


def closed_qa_prompt(context: str, question: str) -> str:
    """The card's prompt (the TyDiQA template of the training mix)."""
    return f"{context}\n\n{question}"


def load_finetuned(config: StxConfig, adapter: str | Path) -> tuple[Any, Any]:
    """(model, tokenizer): the base as configured (4-bit when set) with the adapter applied, ready to generate."""
    from stxlib.train.kind import load_with_adapter
    from stxlib.training.tokenizer import prepare_tokenizer

    tokenizer = prepare_tokenizer(config.model)
    model = load_with_adapter(config, tokenizer, adapter)
    model.config.use_cache = True
    return model, tokenizer


def mixed_precision(model: Any) -> Any:
    """Autocast like training did when the weights mix fp32 with bf16/fp16 (qlora's casts leave LoRA,
    lm_head and embeddings in bf16 and norms in fp32); a no-op context for single-dtype models."""
    import contextlib

    import torch

    dtypes = {p.dtype for p in model.parameters() if p.is_floating_point()}
    for half in (torch.bfloat16, torch.float16):
        if half in dtypes and torch.float32 in dtypes:
            return torch.autocast(model.device.type, dtype=half)
    return contextlib.nullcontext()


def generate(model: Any, tokenizer: Any, prompt: str, max_new_tokens: int = MAX_NEW_TOKENS) -> str:
    """Greedy continuation of `prompt` (tokenised as the text-generation pipeline does, with BOS), without the
    prompt, special tokens removed."""
    import torch

    encoded = tokenizer(prompt, return_tensors="pt").to(model.device)
    with torch.no_grad(), mixed_precision(model):
        out = model.generate(
            **encoded,
            max_new_tokens=max_new_tokens,
            do_sample=False,
            eos_token_id=tokenizer.eos_token_id,
            pad_token_id=tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id,
        )
    return tokenizer.decode(out[0, encoded["input_ids"].shape[1] :], skip_special_tokens=True)


def closed_qa(model: Any, tokenizer: Any, context: str, question: str, max_new_tokens: int = MAX_NEW_TOKENS) -> str:
    """Answer `question` about `context` the way the card's example does."""
    return generate(model, tokenizer, closed_qa_prompt(context, question), max_new_tokens)


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


def answer_validation_questions(
    config: StxConfig, paths: RunPaths, adapter: str | Path, n: int = 2, max_new_tokens: int = MAX_NEW_TOKENS
) -> list[dict[str, str]]:
    """The card's closed-QA use on the first `n` TyDiQA rows of `data/validation.jsonl`, base + `adapter`:
    `{"question", "gold", "answer"}` per example, also written to `train/closed_qa.json`."""
    from stxlib.io import read_jsonl, write_json
    from stxlib.train.kind import STAGE

    model, tokenizer = load_finetuned(config, adapter)
    answers = [
        {
            "question": ex["question"],
            "gold": ex["gold"],
            "answer": closed_qa(model, tokenizer, ex["context"], ex["question"], max_new_tokens),
        }
        for ex in qa_examples(read_jsonl(paths.validation_file), n=n)
    ]
    write_json(paths.training(STAGE).root / QA_FILE, answers)
    return answers
