"""Loading a tokenizer (the embedded tiny model's, a local folder or a hub id): the one loader of stx."""

from __future__ import annotations

from typing import Any

from stxlib.config import ModelSection
from stxlib.modeling import ModelLoadError
from stxlib.tiny_model import resolve_model_path


def load_tokenizer(source: ModelSection | str, *, revision: str | None = None, trust_remote_code: bool = False) -> Any:
    """The tokenizer exactly as shipped (no pad token added here).

    `source` is the `model` params section (its `tokenizer`, else `name_or_path`, with its `revision` and
    `trust_remote_code`) or a name: `stx-tiny`, a local folder or a hub id. Raises `ModelLoadError` naming
    the tokenizer and the fix.
    """
    from transformers import AutoTokenizer

    if isinstance(source, ModelSection):
        source, revision, trust_remote_code = source.tokenizer_name, source.revision, source.trust_remote_code
    name = resolve_model_path(source)
    try:
        return AutoTokenizer.from_pretrained(name, revision=revision, trust_remote_code=trust_remote_code)
    except (OSError, ValueError) as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise ModelLoadError(
            f"cannot load the tokenizer {name!r} ({first}). Give a local folder holding the tokenizer files, "
            "a hub id reachable from here, or stx-tiny for the embedded tiny model (model.tokenizer / "
            "model.name_or_path in params, --tokenizer / --model on the command line)."
        ) from None
