"""The four jp-stable JGLUE tasks at prompt version 0.3: names, literals, per-task prompt pieces, label maps.

Rows use the HF `shunk031/JGLUE` field layout with ClassLabel ints (see `stxlib.jglue.data`). Every string
literal here is copied from the spec (`specs/jglue-0.3.md` §3); the `：` inside inputs and instructions is
the full-width U+FF1A, the `:` of the `###` headers is ASCII.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from stxlib.config.evaluation import DEFAULT_FEWSHOT

Row = dict[str, Any]

DESCRIPTION = "以下は、タスクを説明する指示と、文脈のある入力の組み合わせです。要求を適切に満たす応答を書きなさい。\n\n"
FEWSHOT_SEP = "\n\n"
TASK_VERSION = 1.1
PROMPT_VERSION = 0.3

# JSQuAD
JSQUAD_INSTRUCTION = "与えられた文脈から、質問に対する答えを抜き出してください。"
JSQUAD_STOP = ("\n",)
MAX_NEW_TOKENS = 256

# JCommonsenseQA
JCQA_INSTRUCTION = "与えられた選択肢の中から、最適な答えを選んでください。"
JCQA_CHOICE_FIELDS = ("choice0", "choice1", "choice2", "choice3", "choice4")

# JNLI (English labels in a Japanese prompt at 1.1)
JNLI_LABELS = ("entailment", "contradiction", "neutral")
JNLI_INSTRUCTION = (
    "与えられた前提と仮説の関係を回答してください。\n\n"
    "出力は以下から選択してください：\nentailment\ncontradiction\nneutral"
)

# MARC-ja
MARC_LABELS = ("positive", "negative", "neutral")  # HF ClassLabel names; only 0 and 1 occur (is_pos_neg=True)
MARC_CHOICES = ("ポジティブ", "ネガティブ")
MARC_INSTRUCTION = "以下の製品レビューを、ポジティブまたはネガティブの感情クラスのいずれかに分類してください。"


class UnknownTaskError(ValueError):
    """A task name that is none of the four jp-stable 0.3 tasks."""


def prompt_block(instruction: str, input_text: str) -> str:
    """One `### 指示 / ### 入力 / ### 応答` block, ending with `"### 応答:\\n"`."""
    return "### 指示:\n" + instruction + "\n\n### 入力:\n" + input_text + "\n\n### 応答:\n"


# ------------------------------------------------------------------ per-task pieces


def _jsquad_instruction(row: Row) -> str:
    return JSQUAD_INSTRUCTION


def _jsquad_input(row: Row) -> str:
    return "文脈：" + row["context"].split("[SEP]")[-1].strip() + "\n質問：" + row["question"]


def _jsquad_target(row: Row) -> str:
    return row["answers"]["text"][0]


def _jsquad_gold(row: Row) -> list[str]:
    return list(row["answers"]["text"])


def _jcqa_choices(row: Row) -> list[str]:
    return [row[field] for field in JCQA_CHOICE_FIELDS]


def _jcqa_instruction(row: Row) -> str:
    return JCQA_INSTRUCTION + "出力は以下から選択してください：\n" + "\n".join("- " + c for c in _jcqa_choices(row))


def _jcqa_input(row: Row) -> str:
    return row["question"]


def _jnli_choices(row: Row) -> list[str]:
    return list(JNLI_LABELS)


def _jnli_instruction(row: Row) -> str:
    return JNLI_INSTRUCTION


def _jnli_input(row: Row) -> str:
    return "前提：" + row["sentence1"] + "\n仮説：" + row["sentence2"]


def _marc_choices(row: Row) -> list[str]:
    return list(MARC_CHOICES)


def _marc_instruction(row: Row) -> str:
    return MARC_INSTRUCTION


def _marc_input(row: Row) -> str:
    return row["sentence"]


def _label(row: Row) -> int:
    return int(row["label"])


@dataclass(frozen=True)
class JGlueTask:
    """One task: where its data lives and how a row becomes a prompt block, a target and a gold answer."""

    name: str
    short: str
    hf_config: str
    raw_dir: str
    kind: Literal["generate", "multiple_choice"]
    default_fewshot: int
    headline_metric: str  # the leaderboard's metric: exact_match for JSQuAD, acc for the others
    headline_scale: float  # results.json value x scale = the card's number (JSQuAD EM/100: 0.01)
    instruction: Callable[[Row], str]
    input_text: Callable[[Row], str]
    choices: Callable[[Row], list[str]] | None = None

    @property
    def is_generation(self) -> bool:
        return self.kind == "generate"

    def block(self, row: Row) -> str:
        return prompt_block(self.instruction(row), self.input_text(row))

    def target(self, row: Row) -> str:
        """The answer text that follows a shot's `### 応答:\\n`."""
        if self.is_generation:
            return _jsquad_target(row)
        return self.choices(row)[self.gold_index(row)]  # type: ignore[misc]

    def gold_index(self, row: Row) -> int:
        if self.is_generation:
            raise TypeError(f"{self.name} is a generation task; it has gold answers, not a gold index")
        return _label(row)

    def gold_answers(self, row: Row) -> list[str]:
        if not self.is_generation:
            raise TypeError(f"{self.name} is a multiple-choice task; use gold_index")
        return _jsquad_gold(row)

    def headline(self, metrics: dict[str, Any]) -> dict[str, Any]:
        """`{"metric", "scale", "value"}`: the card's number for this task from its results.json metrics."""
        value = metrics.get(self.headline_metric)
        scaled = None if value is None else value * self.headline_scale
        return {"metric": self.headline_metric, "scale": self.headline_scale, "value": scaled}


TASKS: dict[str, JGlueTask] = {
    t.name: t
    for t in (
        JGlueTask(
            name="jsquad-1.1-0.3",
            short="jsquad",
            hf_config="JSQuAD",
            raw_dir="jsquad-v1.1",
            kind="generate",
            default_fewshot=DEFAULT_FEWSHOT["jsquad"],
            headline_metric="exact_match",
            headline_scale=0.01,
            instruction=_jsquad_instruction,
            input_text=_jsquad_input,
        ),
        JGlueTask(
            name="jcommonsenseqa-1.1-0.3",
            short="jcommonsenseqa",
            hf_config="JCommonsenseQA",
            raw_dir="jcommonsenseqa-v1.1",
            kind="multiple_choice",
            default_fewshot=DEFAULT_FEWSHOT["jcommonsenseqa"],
            headline_metric="acc",
            headline_scale=1.0,
            instruction=_jcqa_instruction,
            input_text=_jcqa_input,
            choices=_jcqa_choices,
        ),
        JGlueTask(
            name="jnli-1.1-0.3",
            short="jnli",
            hf_config="JNLI",
            raw_dir="jnli-v1.1",
            kind="multiple_choice",
            default_fewshot=DEFAULT_FEWSHOT["jnli"],
            headline_metric="acc",
            headline_scale=1.0,
            instruction=_jnli_instruction,
            input_text=_jnli_input,
            choices=_jnli_choices,
        ),
        JGlueTask(
            name="marc_ja-1.1-0.3",
            short="marc_ja",
            hf_config="MARC-ja",
            raw_dir="marc_ja-v1.1",
            kind="multiple_choice",
            default_fewshot=DEFAULT_FEWSHOT["marc_ja"],
            headline_metric="acc",
            headline_scale=1.0,
            instruction=_marc_instruction,
            input_text=_marc_input,
            choices=_marc_choices,
        ),
    )
}
TASK_NAMES: tuple[str, ...] = tuple(TASKS)
SHORT_NAMES: dict[str, str] = {t.short: t.name for t in TASKS.values()}


def resolve_task_name(name: str) -> str:
    """`jsquad` or `jsquad-1.1-0.3` -> `jsquad-1.1-0.3`; anything else raises UnknownTaskError."""
    key = name.strip()
    if key in TASKS:
        return key
    if key in SHORT_NAMES:
        return SHORT_NAMES[key]
    raise UnknownTaskError(
        f"unknown JGLUE task {name!r}; choose from {', '.join(TASK_NAMES)} (or the short names "
        f"{', '.join(SHORT_NAMES)})"
    )


def get_task(name: str) -> JGlueTask:
    return TASKS[resolve_task_name(name)]


def resolve_tasks(names: Sequence[str] | str) -> list[str]:
    """A list or comma-separated string of task names -> full names, in the given order, no duplicates."""
    if isinstance(names, str):
        names = [n for n in names.split(",") if n.strip()]
    resolved = [resolve_task_name(n) for n in names]
    if not resolved:
        raise UnknownTaskError(f"no JGLUE task given; choose from {', '.join(TASK_NAMES)}")
    if len(set(resolved)) != len(resolved):
        raise UnknownTaskError(f"a task is listed twice: {', '.join(resolved)}")
    return resolved


def default_fewshot_counts(tasks: Sequence[str]) -> list[int]:
    """Each task's own jp-stable few-shot count (jsquad 2, the others 3), in order."""
    return [get_task(t).default_fewshot for t in tasks]


def parse_fewshot(value: Sequence[int] | str | None, tasks: Sequence[str]) -> list[int]:
    """`"2,3,3,3"` or `[2, 3, 3, 3]` -> a list with one non-negative count per task (matched by position);
    None -> each task's own default."""
    n_tasks = len(tasks)
    if value is None:
        return default_fewshot_counts(tasks)
    if isinstance(value, str):
        parts = [p.strip() for p in value.split(",") if p.strip()]
        try:
            counts = [int(p) for p in parts]
        except ValueError:
            raise ValueError(
                f"few-shot counts must be integers separated by commas (e.g. 2,3,3,3), got {value!r}"
            ) from None
    else:
        counts = [int(v) for v in value]
    if len(counts) != n_tasks:
        raise ValueError(
            f"{len(counts)} few-shot count(s) for {n_tasks} task(s) ({', '.join(tasks)}): give one count per task, "
            "in task order, or leave the counts out to use each task's own default "
            f"({', '.join(f'{k} {v}' for k, v in DEFAULT_FEWSHOT.items())})"
        )
    if any(c < 0 for c in counts):
        raise ValueError(f"few-shot counts must be >= 0, got {counts}")
    return counts
