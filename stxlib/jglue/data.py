"""JGLUE v1.1 rows in HF `shunk031/JGLUE` order: from the raw JGLUE layout or from the hub's parquet export.

Raw layout (`--data-dir`, the `datasets/` folder of `yahoojapan/JGLUE` v1.1, plus the project's MARC-ja
convention):

- `jsquad-v1.1/{train,valid}-v1.1.json`: one SQuAD-v1.1 JSON object; rows = `data → paragraphs → qas`.
- `jcommonsenseqa-v1.1/{train,valid}-v1.1.json`: JSON lines, `label` an int 0–4.
- `jnli-v1.1/{train,valid}-v1.1.json`: JSON lines, `label` a string (entailment/contradiction/neutral).
- `marc_ja-v1.1/{train,valid}-v1.1.json`: JSON lines `{"review_id", "sentence", "label"}`, label positive/negative.

Every row comes back in the HF field layout with ClassLabel ints, in file order (which is HF order).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from stxlib.jglue.tasks import JNLI_LABELS, MARC_LABELS, Row, get_task

Split = Literal["train", "validation"]
HUB_REPO = "shunk031/JGLUE"
RAW_SPLIT_NAMES: dict[str, str] = {"train": "train", "validation": "valid"}

#: Row counts of JGLUE v1.1 in HF (`specs/jglue-0.3.md` §1.1); used to say whether a run saw the full data.
V11_SIZES: dict[str, dict[str, int]] = {
    "jsquad-1.1-0.3": {"train": 62859, "validation": 4442},
    "jcommonsenseqa-1.1-0.3": {"train": 8939, "validation": 1119},
    "jnli-1.1-0.3": {"train": 20073, "validation": 2434},
    "marc_ja-1.1-0.3": {"train": 187528, "validation": 5654},
}
#: JNLI v1.1 validation label counts; v1.2+ relabels 29 pairs (a hub export regenerated after 2025-03-31).
JNLI_V11_VALIDATION_LABELS = {"entailment": 353, "contradiction": 734, "neutral": 1347}

_FORMATS = {
    "jsquad-1.1-0.3": "one SQuAD-v1.1 JSON object {data: [{title, paragraphs: [{context, qas: [...]}]}]}",
    "jcommonsenseqa-1.1-0.3": "JSON lines {q_id, question, choice0..choice4, label}",
    "jnli-1.1-0.3": "JSON lines {sentence_pair_id, yjcaptions_id, sentence1, sentence2, label}",
    "marc_ja-1.1-0.3": 'JSON lines {"review_id", "sentence", "label": "positive"|"negative"}',
}
_REQUIRED = {
    "jcommonsenseqa-1.1-0.3": ("q_id", "question", "choice0", "choice1", "choice2", "choice3", "choice4", "label"),
    "jnli-1.1-0.3": ("sentence1", "sentence2", "label"),
    "marc_ja-1.1-0.3": ("sentence", "label"),
}


class JGlueDataError(ValueError):
    """JGLUE data is missing or malformed; the message names the file and what was expected."""


class JGlueDataNotFoundError(JGlueDataError, FileNotFoundError):
    """An expected JGLUE file or split does not exist."""


@dataclass
class SplitData:
    """The rows of one task split and where they came from."""

    task: str
    split: Split
    rows: list[Row]
    origin: str
    files: list[str] = field(default_factory=list)


def raw_file(data_dir: str | Path, task: str, split: Split) -> Path:
    """`<data_dir>/jsquad-v1.1/valid-v1.1.json` etc."""
    spec = get_task(task)
    return Path(data_dir).expanduser() / spec.raw_dir / f"{RAW_SPLIT_NAMES[split]}-v1.1.json"


def expected_layout(task: str, split: Split) -> str:
    spec = get_task(task)
    return f"{spec.raw_dir}/{RAW_SPLIT_NAMES[split]}-v1.1.json ({_FORMATS[spec.name]})"


def load_split(
    task: str,
    split: Split,
    data_dir: str | Path | None = None,
    *,
    revision: str | None = None,
    cache_dir: str | None = None,
) -> SplitData:
    """Rows of `task`/`split` from `data_dir` (raw layout) or, when `data_dir` is None, from the hub."""
    name = get_task(task).name
    if data_dir is not None:
        path = raw_file(data_dir, name, split)
        return SplitData(name, split, read_raw_split(path, name, split), origin=str(path), files=[str(path)])
    return load_hub_split(name, split, revision=revision, cache_dir=cache_dir)


def read_raw_split(path: str | Path, task: str, split: Split) -> list[Row]:
    """Parse one raw JGLUE file into HF-layout rows (file order)."""
    path = Path(path)
    name = get_task(task).name
    if not path.is_file():
        raise JGlueDataNotFoundError(
            f"JGLUE file not found: {path}. Expected the {split} split of {name} in the raw JGLUE v1.1 layout: "
            f"{expected_layout(name, split)}. Point --data-dir (eval.data_dir) at a folder with that layout, "
            "or leave it unset to read shunk031/JGLUE from the Hugging Face Hub."
        )
    text = path.read_text(encoding="utf-8")
    if name == "jsquad-1.1-0.3":
        rows = _squad_rows(text, path)
    else:
        rows = [_json_line_row(line, path, number, name) for number, line in _lines(text)]
    if not rows:
        raise JGlueDataError(f"{path} holds no rows; expected {_FORMATS[name]}")
    return rows


def _lines(text: str) -> list[tuple[int, str]]:
    return [(n, line) for n, line in enumerate(text.splitlines(), 1) if line.strip()]


def _squad_rows(text: str, path: Path) -> list[Row]:
    try:
        obj = json.loads(text)
        rows = []
        for article in obj["data"]:
            for paragraph in article["paragraphs"]:
                for qa in paragraph["qas"]:
                    rows.append(
                        {
                            "id": qa["id"],
                            "title": article["title"],
                            "context": paragraph["context"],
                            "question": qa["question"],
                            "answers": {
                                "text": [a["text"] for a in qa["answers"]],
                                "answer_start": [a["answer_start"] for a in qa["answers"]],
                            },
                            "is_impossible": qa.get("is_impossible", False),
                        }
                    )
    except (json.JSONDecodeError, KeyError, TypeError) as err:
        raise JGlueDataError(
            f"{path} is not a JSQuAD file ({type(err).__name__}: {err}); expected {_FORMATS['jsquad-1.1-0.3']}"
        ) from None
    for row in rows:
        if not row["answers"]["text"]:
            raise JGlueDataError(f"{path}: question {row['id']!r} has no answers; JSQuAD v1.1 needs at least one")
    return rows


def _json_line_row(line: str, path: Path, number: int, task: str) -> Row:
    try:
        row = json.loads(line)
    except json.JSONDecodeError as err:
        raise JGlueDataError(f"{path}:{number}: not valid JSON ({err}); expected {_FORMATS[task]}") from None
    if not isinstance(row, dict):
        raise JGlueDataError(f"{path}:{number}: expected a JSON object per line ({_FORMATS[task]})")
    missing = [k for k in _REQUIRED[task] if k not in row]
    if missing:
        raise JGlueDataError(f"{path}:{number}: missing field(s) {', '.join(missing)}; expected {_FORMATS[task]}")
    row["label"] = _label_id(task, row["label"], f"{path}:{number}")
    return row


def _label_id(task: str, label: Any, where: str) -> int:
    """Raw labels -> HF ClassLabel ids (JNLI and MARC-ja labels are strings in the raw files)."""
    names: tuple[str, ...] | None = {"jnli-1.1-0.3": JNLI_LABELS, "marc_ja-1.1-0.3": MARC_LABELS[:2]}.get(task)
    if isinstance(label, str) and names is not None:
        if label not in names:
            raise JGlueDataError(f"{where}: label {label!r} is not one of {', '.join(names)}")
        return names.index(label)
    if isinstance(label, bool) or not isinstance(label, int):
        raise JGlueDataError(f"{where}: label {label!r} is neither a class name nor an int")
    n_classes = {"jcommonsenseqa-1.1-0.3": 5, "jnli-1.1-0.3": 3, "marc_ja-1.1-0.3": 2}[task]
    if not 0 <= label < n_classes:
        raise JGlueDataError(f"{where}: label {label} is out of range 0..{n_classes - 1}")
    return label


# ------------------------------------------------------------------ hub


def load_hub_split(task: str, split: Split, *, revision: str | None = None, cache_dir: str | None = None) -> SplitData:
    """`shunk031/JGLUE` rows through the hub's parquet conversion (datasets >= 4 cannot run its script)."""
    import pyarrow.parquet as pq

    from stxlib.hub import PARQUET_REVISION, download_parquet_split

    spec = get_task(task)
    revision = revision or PARQUET_REVISION
    try:
        paths = download_parquet_split(HUB_REPO, spec.hf_config, split, revision=revision, cache_dir=cache_dir)
    except FileNotFoundError as err:
        raise JGlueDataNotFoundError(f"{err}; expected {HUB_REPO} config {spec.hf_config} split {split}") from None
    rows: list[Row] = []
    for path in paths:
        rows.extend(pq.read_table(path).to_pylist())
    if not rows:
        raise JGlueDataError(f"{HUB_REPO}@{revision} {spec.hf_config}/{split}: the parquet files hold no rows")
    if spec.name == "jsquad-1.1-0.3":
        for row in rows:
            row["answers"] = {
                "text": list(row["answers"]["text"]),
                "answer_start": list(row["answers"]["answer_start"]),
            }
    else:
        where = f"{HUB_REPO} {spec.hf_config}/{split}"
        for row in rows:
            row["label"] = _label_id(spec.name, row["label"], where)
    origin = f"hub:{HUB_REPO}@{revision}/{spec.hf_config}/{split}"
    return SplitData(spec.name, split, rows, origin=origin, files=[str(p) for p in paths])


def data_checks(task: str, split: Split, rows: list[Row]) -> dict[str, Any]:
    """Whether `rows` look like the full JGLUE v1.1 split (counts; JNLI validation label counts)."""
    name = get_task(task).name
    expected = V11_SIZES[name][split]
    checks: dict[str, Any] = {"rows": len(rows), "v1.1_rows": expected, "full_v1.1_size": len(rows) == expected}
    if name == "jnli-1.1-0.3" and split == "validation" and len(rows) == expected:
        counts = {label: 0 for label in JNLI_LABELS}
        for row in rows:
            counts[JNLI_LABELS[row["label"]]] += 1
        checks["label_counts"] = counts
        checks["v1.1_labels"] = counts == JNLI_V11_VALIDATION_LABELS
    return checks


def data_warnings(details: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """One line per task whose data is not JGLUE v1.1's, from each task's `data_checks` (task -> detail, as in
    results.json `config.task_details`): split sizes, and JNLI's validation labels (a parquet export
    regenerated after 2025-03-31 holds v1.2+, with 29 JNLI pairs relabelled)."""
    lines = []
    for task, detail in details.items():
        checks = detail.get("data_checks") or {}
        short = [
            f"{split} {c['rows']:,} rows (v1.1: {c['v1.1_rows']:,})"
            for split, c in checks.items()
            if not c.get("full_v1.1_size", True)
        ]
        if short:
            lines.append(f"{task}: not the JGLUE v1.1 sizes ({'; '.join(short)}): not comparable with the card")
        labels = (checks.get("validation") or {}).get("label_counts")
        if labels and not checks["validation"].get("v1.1_labels", True):
            seen = ", ".join(f"{k} {v:,}" for k, v in labels.items())
            want = ", ".join(f"{k} {v:,}" for k, v in JNLI_V11_VALIDATION_LABELS.items())
            lines.append(
                f"{task}: validation labels are not v1.1's ({seen}; v1.1: {want}): a v1.2+ export? Pin "
                "eval.hub_revision to a 2023 commit or use the raw v1.1 files (eval.data_dir)"
            )
    return lines
