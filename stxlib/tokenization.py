"""Loading a tokenizer (the embedded tiny model's, a local folder or a hub id): the one loader of stx; and
qlora's source/target tokenisation of `{"input", "output"}` rows."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from stxlib.config import ModelSection
from stxlib.modeling import ModelLoadError, check_model_path, load_problem

# The label of positions that take no loss (transformers' and PyTorch's cross-entropy ignore index).
IGNORE_INDEX = -100


def load_tokenizer(source: ModelSection | str, *, revision: str | None = None, trust_remote_code: bool = False) -> Any:
    """The tokenizer exactly as shipped (no pad token added here).

    `source` is the `model` params section (its `tokenizer`, else `name_or_path`, with its `revision`,
    `trust_remote_code` and `tokenizer_legacy`, passed as `legacy`) or a name: `stx-tiny`, a local folder or
    a hub id. Raises `ModelLoadError` naming the tokenizer and the fix.
    """
    from transformers import AutoTokenizer

    options: dict[str, Any] = {}
    if isinstance(source, ModelSection):
        if source.tokenizer_legacy is not None:
            options["legacy"] = source.tokenizer_legacy  # read by SentencePiece-style (Llama, T5) tokenizers
        source, revision, trust_remote_code = source.tokenizer_name, source.revision, source.trust_remote_code
    name = check_model_path(source, "tokenizer")
    try:
        return AutoTokenizer.from_pretrained(name, revision=revision, trust_remote_code=trust_remote_code, **options)
    except (OSError, ValueError) as err:
        raise ModelLoadError(
            f"{load_problem('the tokenizer', name, err)}. Give a local folder holding the tokenizer files, "
            "a hub id reachable from here, or stx-tiny for the embedded tiny model (model.tokenizer / "
            "model.name_or_path in params, --tokenizer / --model on the command line)."
        ) from None


def source_target_ids(tokenizer: Any, rows: Sequence[Mapping[str, str]]) -> tuple[list[list[int]], list[list[int]]]:
    """qlora's token ids of `{"input", "output"}` rows, untruncated: `bos + input` and `output + eos`, each
    tokenised separately with the special tokens written as text (`add_special_tokens=False`). The training
    collator builds its examples from these, and the data stage's length statistics count them."""
    sources = tokenizer([f"{tokenizer.bos_token}{r['input']}" for r in rows], add_special_tokens=False)["input_ids"]
    targets = tokenizer([f"{r['output']}{tokenizer.eos_token}" for r in rows], add_special_tokens=False)["input_ids"]
    return sources, targets
