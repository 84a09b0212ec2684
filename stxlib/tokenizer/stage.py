"""The tokenizer stage: optional extension, then characters per token for every tokenizer over every corpus.

Writes `tokenizer/efficiency.json`, `plots/tokenizer_efficiency.png` (+ `.svg`) and, with the extension on,
`tokenizer/extended/` (a normal Hugging Face model folder: resized model + extended fast tokenizer) and
`tokenizer/extension.json` (what was added, skipped and how the rows were initialised).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stxlib.config import ParamsError, StxConfig, TokenizerRef
from stxlib.io import write_json
from stxlib.paths import RunPaths
from stxlib.tokenizer.corpus import CorpusError, corpus_format
from stxlib.tokenizer.efficiency import Efficiency, efficiency_payload, load_tokenizer, measure_corpora
from stxlib.tokenizer.extend import extend_tokenizer_and_model
from stxlib.tokenizer.offline import MISTRAL_TOKENIZER_NAME, is_installed


def tokenizer_dir(paths: RunPaths) -> Path:
    return paths.root / "tokenizer"


def efficiency_file(paths: RunPaths) -> Path:
    return tokenizer_dir(paths) / "efficiency.json"


def extended_dir(paths: RunPaths) -> Path:
    return tokenizer_dir(paths) / "extended"


def extension_file(paths: RunPaths) -> Path:
    return tokenizer_dir(paths) / "extension.json"


def plot_stem(paths: RunPaths) -> Path:
    return paths.plots / "tokenizer_efficiency"


@dataclass
class TokenizerStageResult:
    """What the notebook shows: the efficiency rows, the loaded tokenizers by label, the extension summary."""

    results: list[Efficiency]
    tokenizers: dict[str, Any]
    names: dict[str, str]
    corpora_lang: dict[str, str]
    extension: dict[str, Any] | None = None
    base_label: str | None = None
    extended_label: str | None = None
    files: list[Path] = field(default_factory=list)


def tokenizer_name(ref: TokenizerRef, config: StxConfig) -> str:
    """`base` -> the run's base tokenizer (`model.tokenizer`, else `model.name_or_path`)."""
    return config.model.tokenizer_name if ref.name == "base" else ref.name


def check_config(config: StxConfig) -> None:
    """Refuse params the stage cannot run, naming the key: no corpus, missing files, the offline Mistral
    tokenizer not installed."""
    section = config.tokenizer
    if not section.corpora:
        raise ParamsError(
            "tokenizer.corpora is empty: add at least one corpus ({name, path} or {name, hub_id, hub_file})"
        )
    if not section.tokenizers and not section.extension.enabled:
        raise ParamsError("tokenizer.tokenizers is empty and the extension is off: nothing to measure")
    corpora = [(f"tokenizer.corpora.{i}", c) for i, c in enumerate(section.corpora)]
    if section.extension.enabled and section.extension.corpus is not None:
        corpora.append(("tokenizer.extension.corpus", section.extension.corpus))
    for key, corpus in corpora:
        if corpus.path is None:
            continue
        path = Path(corpus.path)
        if not path.is_file():
            raise ParamsError(f"{key}.path: file not found: {path}")
        try:
            corpus_format(path, corpus.format)
        except CorpusError as err:
            raise ParamsError(f"{key}.format: {err}") from None
    names = [(f"tokenizer.tokenizers.{i}.name", tokenizer_name(t, config)) for i, t in enumerate(section.tokenizers)]
    if section.extension.enabled:
        names.append(("tokenizer.extension.base_model", section.extension.base_model or config.model.name_or_path))
    for key, name in names:
        if name == MISTRAL_TOKENIZER_NAME and not is_installed():
            raise ParamsError(
                f"{key}: {MISTRAL_TOKENIZER_NAME} is not installed; run `make venv` (it copies Mistral-7B-v0.1's "
                "tokenizer out of the mistral-common wheel into the stx cache)"
            )


def planned_tokenizers(config: StxConfig) -> tuple[dict[str, str], str | None]:
    """Label -> tokenizer name for the measurement, and the label of the extension's base (added to the table
    when the params do not list it)."""
    names = {ref.display: tokenizer_name(ref, config) for ref in config.tokenizer.tokenizers}
    ext = config.tokenizer.extension
    if not ext.enabled:
        return names, None
    base_tok = config.model.tokenizer_name if ext.base_model is None else ext.base_model
    base_label = next((label for label, name in names.items() if name == base_tok), None)
    if base_label is None:
        base_label = base_tok
        names = {base_label: base_tok, **names}
    return names, base_label


def run_extension(config: StxConfig, paths: RunPaths) -> dict[str, Any]:
    ext = config.tokenizer.extension
    base = ext.base_model or config.model.name_or_path
    base_tokenizer = ext.base_model or config.model.tokenizer_name
    revision = None if ext.base_model else config.model.revision
    return extend_tokenizer_and_model(
        ext,
        base,
        extended_dir(paths),
        extension_file(paths),
        base_tokenizer=base_tokenizer,
        revision=revision,
        cache_dir=config.data.cache_dir,
    )


def run_stage(config: StxConfig, paths: RunPaths) -> TokenizerStageResult:
    """Extend (when enabled), measure every tokenizer over every corpus, write the JSON and the chart."""
    import matplotlib.pyplot as plt

    from stxlib.plots.style import save_figure
    from stxlib.tokenizer.plots import plot_efficiency

    check_config(config)
    section = config.tokenizer
    names, base_label = planned_tokenizers(config)
    revisions = {ref.display: (ref.revision, ref.trust_remote_code) for ref in section.tokenizers}
    summary = None
    if section.extension.enabled:
        summary = run_extension(config, paths)
        names[section.extension.label] = str(extended_dir(paths))
    loaded = {}
    for label, name in names.items():
        revision, remote = revisions.get(label, (None, False))
        loaded[label] = load_tokenizer(name, revision=revision, trust_remote_code=remote)
    results = measure_corpora(loaded, section.corpora, section.batch_size, config.data.cache_dir, progress=True)
    write_json(efficiency_file(paths), efficiency_payload(results, names, section.corpora))
    langs = {c.name: c.lang for c in section.corpora}
    fig = plot_efficiency(results, langs, title=f"Characters per token ({config.run.name})")
    files = [efficiency_file(paths), *save_figure(fig, plot_stem(paths))]
    plt.close(fig)
    return TokenizerStageResult(
        results=results,
        tokenizers=loaded,
        names=names,
        corpora_lang=langs,
        extension=summary,
        base_label=base_label,
        extended_label=section.extension.label if section.extension.enabled else None,
        files=files,
    )
