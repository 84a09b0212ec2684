"""The shipped Japanese MT-Bench data (questions, judge prompts, GPT-4 reference answers) and answer files,
read and checked once: a bad row is an error naming the file, the line and the key."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).resolve().parent / "data"
QUESTION_FILES = {
    "default60": DATA_DIR / "question.jsonl",
    "full80": DATA_DIR / "question_full.jsonl",
    "shisa-fork": DATA_DIR / "shisa-fork" / "question.jsonl",
    "shisa-fork-full80": DATA_DIR / "shisa-fork" / "question_full.jsonl",
}
JUDGE_PROMPTS_FILE = DATA_DIR / "judge_ja_prompts.jsonl"
REFERENCE_ANSWERS_FILE = DATA_DIR / "reference_answer" / "gpt-4.jsonl"
NEED_REF_CATS = ("math", "reasoning", "coding")  # FastChat: judged against the reference answer
PROMPT_NAMES = ("single-v1", "single-math-v1")


class MtBenchError(ValueError):
    """Bad MT-Bench input (questions, answers, prompts, judgments); the message names the file and the fix."""


@dataclass(frozen=True)
class Question:
    question_id: int
    category: str
    turns: tuple[str, ...]


@dataclass(frozen=True)
class JudgePrompt:
    name: str
    system_prompt: str
    prompt_template: str
    output_format: str


def question_file(question_set: str) -> Path:
    try:
        return QUESTION_FILES[question_set]
    except KeyError:
        raise MtBenchError(
            f"unknown question set {question_set!r}; choose one of {', '.join(QUESTION_FILES)} or give a file"
        ) from None


def question_set_name(path: Path) -> str:
    """The shipped set's name for a path, else the path itself (what answers and scores record)."""
    resolved = Path(path).resolve()
    for name, file in QUESTION_FILES.items():
        if file == resolved:
            return name
    return str(path)


def sha256_file(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def read_rows(path: str | Path, what: str, *, tolerate_torn_tail: bool = False) -> list[tuple[int, dict[str, Any]]]:
    """(line number, object) for every non-empty line of a JSON-lines file. A torn last line (a crash while
    appending) is dropped when `tolerate_torn_tail`, else an error."""
    path = Path(path)
    if not path.is_file():
        raise MtBenchError(f"{what} not found: {path}")
    lines = path.read_text(encoding="utf-8").split("\n")
    rows = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as err:
            if tolerate_torn_tail and number == len(lines) and not path.read_bytes().endswith(b"\n"):
                break
            raise MtBenchError(f"{path}:{number}: not valid JSON ({err.msg}); fix or remove that line") from None
        if not isinstance(obj, dict):
            raise MtBenchError(f"{path}:{number}: expected a JSON object, got {type(obj).__name__}")
        rows.append((number, obj))
    return rows


def _field(obj: Mapping[str, Any], key: str, kind: type | tuple[type, ...], where: str) -> Any:
    if key not in obj:
        raise MtBenchError(f"{where}: missing key {key!r}")
    value = obj[key]
    if not isinstance(value, kind) or isinstance(value, bool):
        raise MtBenchError(f"{where}: {key!r} has the wrong type ({type(value).__name__})")
    return value


def _question_id(obj: Mapping[str, Any], where: str) -> int:
    raw = _field(obj, "question_id", (int, str), where)
    try:
        return int(raw)  # FastChat: int(question_id)
    except ValueError:
        raise MtBenchError(f"{where}: question_id {raw!r} is not an integer") from None


def load_questions(path: str | Path) -> list[Question]:
    """Questions `{question_id, category, turns}` in file order; ids must be unique."""
    questions: list[Question] = []
    seen: dict[int, int] = {}
    for number, obj in read_rows(path, "question file"):
        where = f"{path}:{number}"
        qid = _question_id(obj, where)
        category = _field(obj, "category", str, where)
        turns = _field(obj, "turns", list, where)
        if not turns or not all(isinstance(t, str) for t in turns):
            raise MtBenchError(f"{where}: 'turns' must be a non-empty list of strings")
        if qid in seen:
            raise MtBenchError(f"{where}: question_id {qid} already on line {seen[qid]}")
        seen[qid] = number
        questions.append(Question(qid, category, tuple(turns)))
    if not questions:
        raise MtBenchError(f"question file {path} holds no questions")
    return questions


def load_judge_prompts(path: str | Path = JUDGE_PROMPTS_FILE) -> dict[str, JudgePrompt]:
    """FastChat judge prompts by name; `single-v1` and `single-math-v1` must be there."""
    prompts = {}
    for number, obj in read_rows(path, "judge prompt file"):
        where = f"{path}:{number}"
        name = _field(obj, "name", str, where)
        prompts[name] = JudgePrompt(
            name=name,
            system_prompt=_field(obj, "system_prompt", str, where),
            prompt_template=_field(obj, "prompt_template", str, where),
            output_format=_field(obj, "output_format", str, where),
        )
        if obj.get("type", "single") != "single":
            raise MtBenchError(f"{where}: prompt {name!r} is of type {obj.get('type')!r}; only 'single' is supported")
        if prompts[name].output_format not in ("[[rating]]", "[[評価]]"):
            raise MtBenchError(f"{where}: output_format {prompts[name].output_format!r} is not a rating format")
    missing = [n for n in PROMPT_NAMES if n not in prompts]
    if missing:
        raise MtBenchError(f"judge prompt file {path} lacks {', '.join(missing)} (FastChat's JA single prompts)")
    return prompts


def load_reference_answers(path: str | Path = REFERENCE_ANSWERS_FILE) -> dict[int, tuple[str, ...]]:
    """question id -> the turns of the reference's first choice."""
    references = {}
    for number, obj in read_rows(path, "reference answer file"):
        where = f"{path}:{number}"
        references[_question_id(obj, where)] = _first_choice_turns(obj, where)
    return references


def _first_choice_turns(obj: Mapping[str, Any], where: str) -> tuple[str, ...]:
    choices = _field(obj, "choices", list, where)
    if not choices or not isinstance(choices[0], dict):
        raise MtBenchError(f"{where}: 'choices' must hold at least one {{index, turns}} object")
    turns = choices[0].get("turns")
    if not isinstance(turns, list) or not turns or not all(isinstance(t, str) for t in turns):
        raise MtBenchError(f"{where}: choices[0].turns must be a non-empty list of strings")
    return tuple(turns)


def load_answers(path: str | Path) -> list[dict[str, Any]]:
    """FastChat model_answer rows, checked: integer question ids, one row per question, choices[0].turns."""
    rows = []
    seen: dict[int, int] = {}
    for number, obj in read_rows(path, "answer file"):
        where = f"{path}:{number}"
        qid = _question_id(obj, where)
        _first_choice_turns(obj, where)
        if qid in seen:
            raise MtBenchError(f"{where}: question_id {qid} already answered on line {seen[qid]}; keep one row")
        seen[qid] = number
        rows.append({**obj, "question_id": qid})
    if not rows:
        raise MtBenchError(f"answer file {path} holds no answers")
    return rows


def answers_model_name(rows: Iterable[Mapping[str, Any]], path: str | Path) -> str:
    """The one `model_id` of an answer file (FastChat names a model after its file when rows lack it)."""
    names = {str(r["model_id"]) for r in rows if r.get("model_id")}
    if len(names) > 1:
        raise MtBenchError(f"{path} holds answers of several models ({', '.join(sorted(names))}); one file per model")
    return names.pop() if names else Path(path).stem


def check_answers_cover(
    answers: Iterable[Mapping[str, Any]], questions: Iterable[Question], path: str | Path, qpath: str | Path
) -> None:
    """Every answered question must be in the question file."""
    known = {q.question_id for q in questions}
    unknown = sorted({int(a["question_id"]) for a in answers} - known)
    if unknown:
        shown = ", ".join(map(str, unknown[:10])) + (" ..." if len(unknown) > 10 else "")
        raise MtBenchError(
            f"{path} answers question id(s) {shown}, which are not in the question file {qpath}; "
            "pass the question file the answers were generated from (--questions / --question-set)"
        )
