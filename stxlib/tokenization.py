"""Loading the configured tokenizer (the embedded tiny model's, a local folder or a hub id)."""

from __future__ import annotations

from stxlib.config import ModelSection
from stxlib.tiny_model import resolve_model_path


def load_tokenizer(model: ModelSection):
    """The base tokenizer exactly as shipped (no pad token added here)."""
    from transformers import AutoTokenizer

    name = resolve_model_path(model.tokenizer_name)
    try:
        return AutoTokenizer.from_pretrained(name, revision=model.revision, trust_remote_code=model.trust_remote_code)
    except OSError as err:
        raise OSError(
            f"cannot load the tokenizer {name!r} ({str(err).splitlines()[0]}). Set model.name_or_path "
            "(or model.tokenizer) to a local folder, or to stx-tiny for the embedded tiny model."
        ) from None
