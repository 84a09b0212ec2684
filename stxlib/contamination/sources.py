"""Text of evaluation sets and training data, read from files (never through another stage's code).

Evaluation documents (one per scored item, each a few text segments):
- JGLUE raw layout (`<task>-v1.1/<split>-v1.1.json`): JSQuAD (SQuAD JSON) context + question per question,
  JCommonsenseQA question + 5 choices, JNLI sentence1 + sentence2, MARC-ja sentence;
- llm-jp-eval evaluation files (`<dataset>.json` or `test/<dataset>.json`): `samples[].input`;
- MT-Bench question files (FastChat `{question_id, turns}`): every turn.
Training text (one row = one or more segments): the run's `data/train.jsonl` (`input`, `output`) and files in
the formats of `TrainingFileSection` (`jsonl`, `sharegpt`, `messages`, `dpo`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stxlib.io import iter_json_objects, read_json

JGLUE_TASKS = {  # name -> (folder, fields of one document)
    "jsquad": ("jsquad-v1.1", ("context", "question")),
    "jcommonsenseqa": ("jcommonsenseqa-v1.1", ("question", "choice0", "choice1", "choice2", "choice3", "choice4")),
    "jnli": ("jnli-v1.1", ("sentence1", "sentence2")),
    "marc_ja": ("marc_ja-v1.1", ("sentence",)),
}
JGLUE_IDS = {"jcommonsenseqa": "q_id", "jnli": "sentence_pair_id", "marc_ja": "review_id"}


class ContaminationDataError(ValueError):
    """An input file is missing or malformed; the message names the file (and line) and the fix."""


@dataclass
class EvalSet:
    """One evaluation set: documents `(id, segments)` in file order."""

    name: str
    source: str
    ids: list[str] = field(default_factory=list)
    segments: list[list[str]] = field(default_factory=list)

    def add(self, doc_id: Any, *texts: Any) -> None:
        self.ids.append(str(doc_id))
        self.segments.append([t for t in texts if isinstance(t, str) and t])


@dataclass(frozen=True)
class TrainingSource:
    """One training file: `rows()` yields the text segments of each row."""

    name: str
    path: Path
    format: str = "jsonl"
    fields: tuple[str, ...] = ("text",)

    def rows(self) -> Iterator[list[str]]:
        for where, row in _json_lines(self.path):
            yield _row_segments(row, self.format, self.fields, where)


# ---------------------------------------------------------------- evaluation sets


def _json_lines(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    for number, row in iter_json_objects(path, ContaminationDataError):
        yield f"{path}:{number}", row


def jglue_sets(data_dir: str | Path, split: str = "valid") -> list[EvalSet]:
    """Every JGLUE task whose `<task>-v1.1/<split>-v1.1.json` exists under `data_dir` (raw JGLUE layout)."""
    root = Path(data_dir)
    if not root.is_dir():
        raise ContaminationDataError(f"{root}: JGLUE folder not found (contamination.jglue_dir or eval.data_dir)")
    sets = []
    for task, (folder, fields) in JGLUE_TASKS.items():
        path = root / folder / f"{split}-v1.1.json"
        if not path.is_file():
            continue
        out = EvalSet(f"jglue/{task}", str(path))
        if task == "jsquad":
            _squad(path, out)
        else:
            for index, (where, row) in enumerate(_json_lines(path)):
                missing = [f for f in fields if not isinstance(row.get(f), str)]
                if missing:
                    raise ContaminationDataError(f"{where}: no text field {', '.join(missing)} ({task} row)")
                out.add(row.get(JGLUE_IDS[task], index), *(row[f] for f in fields))
        sets.append(out)
    return sets


def _squad(path: Path, out: EvalSet) -> None:
    try:
        articles = read_json(path)["data"]
        for article in articles:
            for paragraph in article["paragraphs"]:
                for qa in paragraph["qas"]:
                    out.add(qa["id"], paragraph["context"], qa["question"])
    except (KeyError, TypeError, json.JSONDecodeError) as err:
        raise ContaminationDataError(
            f"{path}: not SQuAD-format JSON ({{data: [{{paragraphs: [{{context, qas: [{{id, question}}]}}]}}]}}): {err}"
        ) from None


def llm_jp_eval_sets(data_dir: str | Path) -> list[EvalSet]:
    """Every llm-jp-eval evaluation file (`*.json`, or under `test/`): the `input` of each sample."""
    root = Path(data_dir)
    folder = root / "test" if (root / "test").is_dir() else root
    files = sorted(folder.glob("*.json"))
    if not files:
        raise ContaminationDataError(f"{root}: no llm-jp-eval evaluation files (<dataset>.json or test/<dataset>.json)")
    sets = []
    for path in files:
        data = read_json(path)
        samples = data.get("samples") if isinstance(data, dict) else None
        if not isinstance(samples, list):
            raise ContaminationDataError(f"{path}: no samples list (an llm-jp-eval evaluation file)")
        out = EvalSet(f"llm-jp-eval/{path.stem}", str(path))
        for index, sample in enumerate(samples):
            if not isinstance(sample, dict) or not isinstance(sample.get("input"), str):
                raise ContaminationDataError(f"{path}: samples[{index}] has no input text")
            out.add(index, sample["input"])
        sets.append(out)
    return sets


def mt_bench_set(path: str | Path) -> EvalSet:
    """All turns of every question of a FastChat question file."""
    path = Path(path)
    out = EvalSet(f"mt-bench/{path.stem}", str(path))
    for where, row in _json_lines(path):
        turns = row.get("turns")
        if "question_id" not in row or not isinstance(turns, list):
            raise ContaminationDataError(f"{where}: expected a FastChat question row {{question_id, turns}}")
        out.add(row["question_id"], *turns)
    return out


# ---------------------------------------------------------------- training text


def _row_segments(row: dict[str, Any], fmt: str, fields: tuple[str, ...], where: str) -> list[str]:
    if fmt == "jsonl":
        missing = [f for f in fields if f not in row]
        if missing:
            raise ContaminationDataError(f"{where}: no field {', '.join(missing)} (fields: {', '.join(row)})")
        return [row[f] for f in fields if isinstance(row[f], str)]
    if fmt == "sharegpt":
        return _turns(row.get("conversations"), "value", where, "conversations: [{from, value}]")
    if fmt == "messages":
        return _turns(row.get("messages"), "content", where, "messages: [{role, content}]")
    if fmt == "dpo":
        out: list[str] = []
        for key in ("prompt", "chosen", "rejected"):
            value = row.get(key)
            if isinstance(value, str):
                out.append(value)
            elif isinstance(value, list):
                out.extend(_turns(value, "content", where, f"{key}: [{{role, content}}]"))
            else:
                raise ContaminationDataError(f"{where}: {key} must be a string or a list of messages")
        return out
    raise ContaminationDataError(f"{where}: unknown training format {fmt!r} (jsonl, sharegpt, messages, dpo)")


def _turns(turns: Any, key: str, where: str, shape: str) -> list[str]:
    if not isinstance(turns, list) or not all(isinstance(t, dict) and isinstance(t.get(key), str) for t in turns):
        raise ContaminationDataError(f"{where}: expected {shape}")
    return [t[key] for t in turns]
