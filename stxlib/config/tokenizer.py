"""The `tokenizer` params section: which tokenizers to measure on which corpora, and the optional extension."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from stxlib.config.base import PositiveInt, Section

CorpusFormat = Literal["auto", "jsonl", "parquet", "text"]


class CorpusRef(Section):
    """One text corpus: a local file, or one file of a hub dataset repository (downloaded on first use).

    - `path`: JSON lines with a `text` field (`.jsonl`/`.json`), parquet with a `text` column (`.parquet`) or plain
      text, one document per non-empty line (`.txt`), the text formats optionally gzipped (`.jsonl.gz`);
      `format: auto` tells them apart by the suffix; `text_field` names another field or column.
    - `hub_id` + `hub_file`: e.g. `uonlp/CulturaX` + `ja/ja_part_00004.parquet` (Shisa's JA sample; gated: accept
      the terms on the hub and log in first).
    - `limit`: the first N documents (Shisa: 50,000); null reads them all.
    """

    name: str = Field(min_length=1)
    path: str | None = None
    hub_id: str | None = None
    hub_file: str | None = None
    revision: str | None = None
    format: CorpusFormat = "auto"
    text_field: str = "text"
    lang: str = "ja"
    limit: PositiveInt | None = None

    @model_validator(mode="after")
    def _one_origin(self) -> CorpusRef:
        if self.path and (self.hub_id or self.hub_file):
            raise ValueError(f"corpus {self.name!r}: give either `path` or `hub_id` + `hub_file`, not both")
        if not self.path and not (self.hub_id and self.hub_file):
            raise ValueError(f"corpus {self.name!r}: needs `path` (a local file) or `hub_id` + `hub_file`")
        return self


class TokenizerRef(Section):
    """A tokenizer to measure: hub id, local folder, `stx-tiny`, `stx-mistral-tokenizer` (the 32k Mistral-7B-v0.1
    SentencePiece tokenizer that `make venv` copies into the stx cache), or `base` (= `model.tokenizer`, else
    `model.name_or_path`). `label` names it in tables (default: `name`)."""

    name: str = Field(min_length=1)
    label: str | None = None
    revision: str | None = None
    trust_remote_code: bool = False

    @property
    def display(self) -> str:
        return self.label or self.name


class ExtensionSection(Section):
    """Shisa's tokenizer extension (`pretrain/02-create-tokenizer.py`): train a BPE with the base tokenizer's own
    pipeline on a JA corpus, append the trained tokens the base lacks, rebuild the merges, resize the embeddings to a
    multiple of `pad_to_multiple_of` and start each new row as the mean of its pieces' rows under the old tokenizer.

    - `base_model`: the model (and tokenizer) to extend; null means `model.name_or_path`.
    - `vocab_size`: size of the trained BPE (Shisa: 2**17 - 32,000 - 10 = 99,062); `max_token_length` (Shisa 24)
      and `min_frequency` (Shisa: the trainer default 0) go to the `tokenizers` BPE trainer.
    - `skip`: `shisa` skips trained tokens that hold a digit and nothing but digits and non-word characters
      (Shisa's regex; pure punctuation is kept); `digits_or_punctuation` also skips tokens made only of
      punctuation/symbols.
    - `merges`: `rebuild` re-derives every merge from the merged vocabulary (Shisa); `append` keeps the base's merges
      in their order and adds the new tokens' merges after them.
    - `resize_model`: false writes only the tokenizer (e.g. for a tokenizer without weights).
    - `label`: the extended tokenizer's name in the efficiency table.
    """

    enabled: bool = False
    base_model: str | None = None
    corpus: CorpusRef | None = None
    vocab_size: PositiveInt = 99062
    max_token_length: PositiveInt | None = 24
    min_frequency: int = Field(default=0, ge=0)
    skip: Literal["shisa", "digits_or_punctuation"] = "shisa"
    merges: Literal["rebuild", "append"] = "rebuild"
    pad_to_multiple_of: PositiveInt = 64
    resize_model: bool = True
    dtype: Literal["auto", "bfloat16", "float32", "float16"] = "auto"
    label: str = Field(default="extended", min_length=1)

    @model_validator(mode="after")
    def _corpus_when_enabled(self) -> ExtensionSection:
        if self.enabled and self.corpus is None:
            raise ValueError(
                "extension is enabled but has no `corpus`; set tokenizer.extension.corpus (a JA text file)"
            )
        return self


class TokenizerSection(Section):
    """Characters per token as Shisa measured them, `sum(len(text)) / sum(len(tokenizer(text)["input_ids"]))` with
    the default call (BOS counted), for every tokenizer over every corpus; `batch_size` documents per call."""

    tokenizers: list[TokenizerRef] = Field(default_factory=lambda: [TokenizerRef(name="base")])
    corpora: list[CorpusRef] = Field(default_factory=list)
    batch_size: PositiveInt = 256
    extension: ExtensionSection = Field(default_factory=ExtensionSection)

    @model_validator(mode="after")
    def _unique_labels(self) -> TokenizerSection:
        labels = [t.display for t in self.tokenizers]
        if self.extension.enabled:
            labels.append(self.extension.label)
        doubled = sorted({label for label in labels if labels.count(label) > 1})
        if doubled:
            raise ValueError(f"tokenizer labels must be unique, {', '.join(doubled)} repeats; set `label` on one")
        names = [c.name for c in self.corpora]
        doubled = sorted({n for n in names if names.count(n) > 1})
        if doubled:
            raise ValueError(f"corpus names must be unique, {', '.join(doubled)} repeats")
        return self
