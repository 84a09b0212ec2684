"""The embedded default model: a tiny Llama-architecture model with a byte-fallback BPE tokenizer.

Built deterministically from the fixture text in `tests/fixtures/`, so every stage runs offline on CPU: the
tokenizer is trained on that text. Two variants share that tokenizer: `stx-tiny`, randomly initialised (what
the tests use: their expectations rest on its exact outputs), and `stx-tiny-pretrained`, the same model
pre-trained on the fixture text for a few seconds (`PRETRAIN`: about 200 k tokens, one CPU thread, fixed seed
and order), so that fine-tuning it in the demo (`params/smoke.yaml`) shows a clear fall in loss rather than
the noise of a random model. It knows a little Japanese token statistics and nothing more: its scores mean
nothing. Both mirror the real base where it matters for the recipe: Llama architecture, `<unk>`/`<s>`/`</s>`
at ids 0/1/2, SentencePiece-style `▁` word boundaries with byte fallback, no pad token in the tokenizer, and
the two added tokens of OpenOrcaxOpenChat (`<|end_of_turn|>`, `<|PAD|>`).
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from stxlib.paths import repo_root
from stxlib.tiny_model_info import DEMO_MODEL_NOTE, PRETRAINED_MODEL_NAME, TINY_MODEL_NAME  # noqa: F401

BUILDER_VERSION = "1"
ADDED_TOKENS = ["<|end_of_turn|>", "<|PAD|>"]
SPECIAL_TOKENS = ["<unk>", "<s>", "</s>"]
BYTE_TOKENS = [f"<0x{i:02X}>" for i in range(256)]

TINY_ARCH = {
    "hidden_size": 64,
    "intermediate_size": 192,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "num_key_value_heads": 4,
    "max_position_embeddings": 2048,
    "rms_norm_eps": 1e-6,
    "tie_word_embeddings": False,
}
TINY_VOCAB_SIZE = 3000
TINY_SEED = 1234
# Causal-LM pre-training on the fixture text (every string, `<s> text </s>`, packed into blocks): AdamW with
# linear warm-up then cosine decay. About 200 k tokens; some 20 CPU seconds, once (cached).
PRETRAIN = {"steps": 200, "block": 128, "batch": 8, "learning_rate": 5e-3, "warmup": 10}


# The fixture folders whose text trains the tiny tokenizer. Fixed, so that fixtures added for other stages
# (chat, preference pairs, corpora) do not change the tiny model and every result built on it.
CORPUS_FOLDERS = ("jglue", "snow", "tydiqa", "xlsum")


def fixture_corpus_files(root: Path | None = None) -> list[Path]:
    """Fixture data files whose text trains the tiny tokenizer, in a fixed order."""
    base = (root or repo_root()) / "tests" / "fixtures"
    files = sorted(
        p
        for p in base.rglob("*")
        if p.suffix in {".json", ".jsonl"} and p.is_file() and p.relative_to(base).parts[0] in CORPUS_FOLDERS
    )
    if not files:
        raise FileNotFoundError(
            f"no fixture text under {base}: the tiny model's tokenizer is trained on it (run from a full stx checkout)"
        )
    return files


def iter_corpus_text(files: Iterable[Path]) -> Iterator[str]:
    """Every string value in the JSON / JSON-lines files, depth first, in file order."""
    for path in files:
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".jsonl":
            docs = [json.loads(line) for line in text.splitlines() if line.strip()]
        else:
            try:
                docs = [json.loads(text)]
            except json.JSONDecodeError:
                docs = [json.loads(line) for line in text.splitlines() if line.strip()]
        for doc in docs:
            yield from _strings(doc)


def _strings(obj: object) -> Iterator[str]:
    if isinstance(obj, str):
        if obj.strip():
            yield obj
    elif isinstance(obj, dict):
        for value in obj.values():
            yield from _strings(value)
    elif isinstance(obj, list):
        for value in obj:
            yield from _strings(value)


def corpus_fingerprint(files: Iterable[Path], pretrained: bool = False) -> str:
    digest = hashlib.sha256(BUILDER_VERSION.encode())
    digest.update(json.dumps(TINY_ARCH, sort_keys=True).encode())
    digest.update(str((TINY_VOCAB_SIZE, TINY_SEED)).encode())
    if pretrained:
        digest.update(json.dumps(PRETRAIN, sort_keys=True).encode())
    for path in files:
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def train_tokenizer(texts: Iterable[str], vocab_size: int = TINY_VOCAB_SIZE):
    """A Llama-style tokenizer: BPE with byte fallback and `▁` word boundaries."""
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers
    from transformers import LlamaTokenizer

    tok = Tokenizer(models.BPE(unk_token="<unk>", byte_fallback=True, fuse_unk=True))
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="first", split=False)
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=SPECIAL_TOKENS + BYTE_TOKENS,
        min_frequency=2,
        show_progress=False,
        max_token_length=8,
    )
    tok.train_from_iterator(list(texts), trainer=trainer)
    state = json.loads(tok.to_str())
    vocab: dict[str, int] = state["model"]["vocab"]
    merges = [tuple(m.split(" ")) if isinstance(m, str) else tuple(m) for m in state["model"]["merges"]]
    llama = LlamaTokenizer(
        vocab=vocab, merges=merges, add_bos_token=True, add_eos_token=False, add_prefix_space=True, legacy=False
    )
    llama.add_tokens(ADDED_TOKENS, special_tokens=True)
    llama.model_max_length = TINY_ARCH["max_position_embeddings"]
    return llama


def build_tiny_model(out_dir: str | Path, corpus_root: Path | None = None, pretrained: bool = False) -> Path:
    """Build the tiny model and tokenizer into `out_dir` (written atomically), pre-trained on the fixture text
    when `pretrained`. Returns the folder."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    from stxlib.io import atomic_dir

    files = fixture_corpus_files(corpus_root)
    tokenizer = train_tokenizer(iter_corpus_text(files))
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=None,
        dtype="float32",
        **TINY_ARCH,
    )
    out_dir = Path(out_dir)
    with atomic_dir(out_dir) as tmp:
        generator_state = torch.random.get_rng_state()
        torch.manual_seed(TINY_SEED)
        model = LlamaForCausalLM(config)
        torch.random.set_rng_state(generator_state)
        info: dict[str, object] = {"builder_version": BUILDER_VERSION, "corpus": corpus_fingerprint(files, pretrained)}
        if pretrained:
            losses = pretrain(model, tokenizer, list(iter_corpus_text(files)))
            info["pretrain"] = {**PRETRAIN, "first_loss": round(losses[0], 3), "last_loss": round(losses[-1], 3)}
        model.generation_config.pad_token_id = None
        model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        (tmp / "stx_tiny.json").write_text(json.dumps(info) + "\n")
    return out_dir


def pretrain(model, tokenizer, texts: list[str]) -> list[float]:
    """Pre-train `model` in place on `texts` as `PRETRAIN` says; deterministic (one CPU thread, seeded order,
    the caller's torch thread count and random state restored). Returns the loss of every step."""
    import math

    import torch

    ids: list[int] = []
    for row in tokenizer(texts, add_special_tokens=False)["input_ids"]:
        ids += [tokenizer.bos_token_id, *row, tokenizer.eos_token_id]
    block, batch, steps = PRETRAIN["block"], PRETRAIN["batch"], PRETRAIN["steps"]
    blocks = torch.tensor(ids[: len(ids) // block * block]).view(-1, block)
    order = torch.Generator().manual_seed(TINY_SEED)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    optimizer = torch.optim.AdamW(model.parameters(), lr=PRETRAIN["learning_rate"], weight_decay=0.0)
    losses: list[float] = []
    try:
        model.train()
        queue = torch.randperm(len(blocks), generator=order)
        for step in range(steps):
            if len(queue) < batch:
                queue = torch.randperm(len(blocks), generator=order)
            picked, queue = queue[:batch], queue[batch:]
            warm = min(1.0, (step + 1) / PRETRAIN["warmup"])
            for group in optimizer.param_groups:
                group["lr"] = PRETRAIN["learning_rate"] * warm * 0.5 * (1 + math.cos(math.pi * step / steps))
            loss = model(input_ids=blocks[picked], labels=blocks[picked]).loss
            loss.backward()
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
            losses.append(loss.item())
    finally:
        torch.set_num_threads(threads)
        model.eval()
    return losses


def cache_root() -> Path:
    return Path(os.environ.get("STX_CACHE", Path.home() / ".cache" / "stx")).expanduser()


@functools.cache
def _fixture_fingerprint(pretrained: bool = False) -> str:
    """The fixture corpus hash, computed once per process (the fixtures do not change under a running stx)."""
    files = fixture_corpus_files()
    return corpus_fingerprint(files, pretrained=True) if pretrained else corpus_fingerprint(files)


def ensure_tiny_model(cache_dir: Path | None = None, pretrained: bool = False) -> Path:
    """Path of the tiny model (`pretrained`: stx-tiny-pretrained) in the stx cache, building it first if missing
    or stale.

    The folder name carries the fixture corpus hash (computed once per process); the folder itself is checked
    on every call, so a deleted cache is rebuilt.
    """
    from filelock import FileLock

    kind = "tiny-llama-pretrained" if pretrained else "tiny-llama"
    target = (cache_dir or cache_root()) / f"{kind}-{_fixture_fingerprint(pretrained)}"
    if (target / "stx_tiny.json").is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(target) + ".lock"):
        if not (target / "stx_tiny.json").is_file():
            if pretrained:
                build_tiny_model(target, pretrained=True)
            else:
                build_tiny_model(target)
    return target


def resolve_model_path(name_or_path: str) -> str:
    """`stx-tiny` / `stx-tiny-pretrained` -> the cached tiny model folder; anything else is returned unchanged."""
    if name_or_path == TINY_MODEL_NAME:
        return str(ensure_tiny_model())
    if name_or_path == PRETRAINED_MODEL_NAME:
        return str(ensure_tiny_model(pretrained=True))
    return name_or_path
