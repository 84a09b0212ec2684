"""The tokenizer stage's section: characters per token of every tokenizer on every corpus, before/after the
vocabulary extension, and the stage's own chart (`tokenizer/efficiency.json`, `tokenizer/extension.json`,
`plots/tokenizer_efficiency.png`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from stxlib.report import html as h
from stxlib.report.artifacts import RunArtifacts
from stxlib.report.cells import Cell, Table, fmt
from stxlib.report.figures import PlotFile, figure_html, stage_plot
from stxlib.report.sections import StageSection

STAGE = "tokenizer"
PLOT = "tokenizer_efficiency"
ROW_KEYS = ("tokenizer", "corpus", "tokens", "chars", "chars_per_token")


def _check_efficiency(data: dict[str, Any]) -> None:
    rows = data.get("results")
    if not isinstance(rows, list):
        raise ValueError("key 'results' is missing or not a list of {tokenizer, corpus, chars_per_token, ...}")
    for index, row in enumerate(rows):
        missing = [k for k in ROW_KEYS if not isinstance(row, dict) or k not in row]
        if missing:
            raise ValueError(f"results[{index}] lacks {', '.join(missing)}")


def efficiency(run: RunArtifacts) -> dict[str, Any] | None:
    path = run.root / STAGE / "efficiency.json"
    return run.read_json(path, dict, stage=STAGE, check=_check_efficiency)


def extension_enabled(run: RunArtifacts) -> bool:
    return run.config is not None and run.config.tokenizer.extension.enabled


def extension(run: RunArtifacts) -> dict[str, Any] | None:
    """`tokenizer/extension.json` when the run extends the vocabulary (or the file is there)."""
    path = run.root / STAGE / "extension.json"
    if not extension_enabled(run) and not path.is_file():
        return None
    return run.read_json(path, dict, stage=STAGE)


def read(run: RunArtifacts) -> None:
    efficiency(run)
    extension(run)


def efficiency_table(data: Mapping[str, Any]) -> Table:
    """Tokenizers down, corpora across (chars/token), with each tokenizer's vocabulary size."""
    rows_in = data["results"]
    tokenizers = list(dict.fromkeys(r["tokenizer"] for r in rows_in))
    corpora = list(dict.fromkeys(r["corpus"] for r in rows_in))
    langs = {c.get("name"): c.get("lang") for c in data.get("corpora", []) if isinstance(c, dict)}
    by = {(r["tokenizer"], r["corpus"]): r for r in rows_in}
    rows: list[list[Cell | str]] = []
    for tokenizer in tokenizers:
        vocab = next((r.get("vocab_size") for r in rows_in if r["tokenizer"] == tokenizer), None)
        row: list[Cell | str] = [tokenizer, fmt(vocab)]
        row += [fmt(by.get((tokenizer, c), {}).get("chars_per_token"), 3) for c in corpora]
        rows.append(row)
    columns = ["tokenizer", "vocab size", *[f"{c} ({langs[c]})" if langs.get(c) else c for c in corpora]]
    note = "Characters per token (Shisa's definition: characters / tokens of a default call, BOS counted); "
    note += "higher is better."
    return Table(columns, rows, frozenset(range(1, len(columns))), note)


def base_and_extended(run: RunArtifacts, data: Mapping[str, Any], ext: Mapping[str, Any]) -> tuple[str, str] | None:
    """The labels of the extension's base tokenizer and of the extended one in efficiency.json."""
    names = {t.get("label"): str(t.get("name_or_path")) for t in data.get("tokenizers", []) if isinstance(t, dict)}
    extended = run.config.tokenizer.extension.label if run.config is not None else None
    if extended not in names:
        extended = next((label for label, name in names.items() if name.endswith("tokenizer/extended")), None)
    wanted = {str(ext.get("base"))}
    if run.config is not None:
        wanted.add(run.config.tokenizer.extension.base_model or run.config.model.tokenizer_name)
    base = next((label for label, name in names.items() if name in wanted and label != extended), None)
    return (base, extended) if base and extended else None


def extension_table(run: RunArtifacts, data: Mapping[str, Any], ext: Mapping[str, Any]) -> Table:
    """Per corpus: chars/token before and after the extension, their ratio and the tokens saved."""
    labels = base_and_extended(run, data, ext)
    if labels is None:
        return Table([], note="the base and extended tokenizers are not both in efficiency.json")
    base, extended = labels
    by = {(r["tokenizer"], r["corpus"]): r for r in data["results"]}
    rows: list[list[Cell | str]] = []
    for corpus in dict.fromkeys(r["corpus"] for r in data["results"]):
        before, after = by.get((base, corpus)), by.get((extended, corpus))
        if before is None or after is None or not before["tokens"] or not before["chars_per_token"]:
            continue
        saved = 1 - after["tokens"] / before["tokens"]
        rows.append(
            [
                corpus,
                fmt(before["chars_per_token"], 3),
                fmt(after["chars_per_token"], 3),
                f"{after['chars_per_token'] / before['chars_per_token']:.2f}×",
                Cell(f"{saved:.1%}", "pos" if saved > 0 else ("neg" if saved < 0 else "")),
            ]
        )
    note = (
        f"Extension: {fmt(ext.get('added'))} tokens added ({fmt(ext.get('skipped'))} skipped, "
        f"{fmt(ext.get('already_present'))} already present) from a BPE trained on {ext.get('corpus', '–')}; "
        f"vocabulary {fmt(ext.get('vocab_size'))}, embedding rows {fmt(ext.get('embedding_rows'))}."
    )
    columns = ["corpus", f"{base} chars/token", f"{extended} chars/token", "ratio", "tokens saved"]
    return Table(columns, rows, frozenset(range(1, 5)), note)


def figures(run: RunArtifacts) -> list[PlotFile]:
    plot = stage_plot(run, PLOT, "Characters per token, per tokenizer and corpus (drawn by the tokenizer stage).")
    return [plot] if plot is not None else []


def render(run: RunArtifacts, plots: Mapping[str, PlotFile]) -> str:
    data = efficiency(run)
    if data is None:
        return h.paragraph("no tokenizer measurements (tokenizer/efficiency.json is missing)", "note")
    parts = [h.render_table(efficiency_table(data)), figure_html(run, plots.get(PLOT))]
    ext = extension(run)
    if ext is not None:
        parts += ["<h3>Before and after the vocabulary extension</h3>", h.render_table(extension_table(run, data, ext))]
    return "\n".join(parts)


def files(run: RunArtifacts) -> list[tuple[str, str]]:
    return [
        (f"{STAGE}/efficiency.json", "characters per token (tokenizer stage)"),
        (f"{STAGE}/extension.json", "what the vocabulary extension added"),
    ]


SECTION = StageSection(
    stage=STAGE, title="Tokenizer efficiency", read=read, render=render, figures=figures, files=files
)
