"""Answer generation as FastChat jp-stable's `gen_model_answer.py` did it, through any engine backend.

Per question: temperature by category (sampling only when >= 1e-4), `top_p` 0.9, repetition penalty 1.1, 512 new
tokens, choice i sampled with seed i, the system prompt and the chat template; turn 2 (when asked) continues
the conversation with the turn-1 answer. Outputs are stripped (FastChat's `output.strip()`). Rows are FastChat
`model_answer` rows sorted by question id, plus `generate_params`.

Resumable: finished questions are appended to `<out>.partial` as they complete; a second call with the same
settings skips them, and `<out>` is written (atomically) only when every question is answered.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stxlib.config.mt_bench import FASTCHAT_TEMPERATURES, SHISA_SYSTEM_PROMPT
from stxlib.engine import Backend, Generation, GenerationRequest, Message, progress_bar
from stxlib.engine.sharded import shard_backend
from stxlib.hardware import is_main_process
from stxlib.io import write_jsonl
from stxlib.mt_bench.questions import MtBenchError, Question, read_rows

# generate_params keys that must match for a partial file to be resumed
_RESUME_KEYS = (
    "max_new_token",
    "top_p",
    "repetition_penalty",
    "system_prompt",
    "chat_template",
    "turns",
    "num_choices",
    "backend",
)


@dataclass(frozen=True)
class GenerationSettings:
    system_prompt: str | None = SHISA_SYSTEM_PROMPT
    chat_template_name: str | None = None  # what the answers record (null, a built-in name, "custom")
    chat_template: str | None = None  # the Jinja text handed to the backend (None: the tokenizer's own)
    max_new_tokens: int = 512
    top_p: float = 0.9
    repetition_penalty: float = 1.1
    temperatures: Mapping[str, float] = field(default_factory=lambda: dict(FASTCHAT_TEMPERATURES))
    default_temperature: float = 0.7
    num_choices: int = 1
    turns: int = 1
    batch_size: int = 8  # questions per backend call
    question_set: str | None = None  # recorded, so the judge can find the same wording

    def temperature(self, category: str) -> float:
        return self.temperatures.get(category, self.default_temperature)


def new_answer_id() -> str:
    """A 22-character id like FastChat's `shortuuid.uuid()`."""
    alphabet = "23456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
    return "".join(secrets.choice(alphabet) for _ in range(22))


def conversation(question: Question, previous: Sequence[str], settings: GenerationSettings) -> tuple[Message, ...]:
    """System prompt, then the question's turns so far with the answers given to the earlier ones."""
    messages = [Message("system", settings.system_prompt)] if settings.system_prompt is not None else []
    for turn, answer in enumerate(previous):
        messages += [Message("user", question.turns[turn]), Message("assistant", answer)]
    messages.append(Message("user", question.turns[len(previous)]))
    return tuple(messages)


def answer_request(
    question: Question, previous: Sequence[str], choice: int, settings: GenerationSettings
) -> GenerationRequest:
    return GenerationRequest(
        messages=conversation(question, previous, settings),
        max_new_tokens=settings.max_new_tokens,
        chat_template=settings.chat_template,
        temperature=settings.temperature(question.category),
        top_p=settings.top_p,
        repetition_penalty=settings.repetition_penalty,
        seed=choice,
    )


def generate_params(question: Question, settings: GenerationSettings, backend: Backend) -> dict[str, Any]:
    temperature = settings.temperature(question.category)
    return {
        "do_sample": temperature >= 1e-4,
        "max_new_token": settings.max_new_tokens,
        "temperature": temperature,
        "top_p": settings.top_p,
        "repetition_penalty": settings.repetition_penalty,
        "system_prompt": settings.system_prompt,
        "chat_template": settings.chat_template_name,
        "turns": settings.turns,
        "num_choices": settings.num_choices,
        "seeds": list(range(settings.num_choices)),
        "backend": backend.name,
        "question_set": settings.question_set,
    }


def generate_answers(
    backend: Backend,
    questions: Sequence[Question],
    settings: GenerationSettings,
    out: str | Path,
    model_id: str,
    *,
    progress: bool = True,
) -> list[dict[str, Any]]:
    """Answer every question (resuming `<out>.partial`), write `out` sorted by question id, return its rows.
    Under torchrun each rank generates its shard of every batch; rank 0 writes."""
    out = Path(out)
    backend = shard_backend(backend)
    partial = out.with_name(out.name + ".partial")
    for question in questions:
        if len(question.turns) < settings.turns:
            raise MtBenchError(
                f"question {question.question_id} has {len(question.turns)} turn(s); turns={settings.turns}"
            )
    done = _resume(partial, questions, settings, backend, model_id)
    todo = [q for q in questions if q.question_id not in done]
    total = len(todo) * settings.num_choices * settings.turns
    bar = progress_bar(total, f"answers {model_id}", unit="req", disable=not progress or total == 0)
    try:
        for start in range(0, len(todo), settings.batch_size):
            chunk = todo[start : start + settings.batch_size]
            rows = _answer_chunk(backend, chunk, settings, model_id, bar.update)
            if is_main_process():
                _append(partial, rows)
            done.update({row["question_id"]: row for row in rows})
    finally:
        bar.close()
    ordered = [done[q.question_id] for q in sorted(questions, key=lambda q: q.question_id)]
    if is_main_process():
        write_jsonl(out, ordered)
        partial.unlink(missing_ok=True)
    return ordered


def _answer_chunk(
    backend: Backend, chunk: Sequence[Question], settings: GenerationSettings, model_id: str, progress: Any
) -> list[dict[str, Any]]:
    keys = [(q, c) for q in chunk for c in range(settings.num_choices)]
    turns: dict[tuple[int, int], list[Generation]] = {(q.question_id, c): [] for q, c in keys}
    for _ in range(settings.turns):
        requests = [
            answer_request(q, [g.text.strip() for g in turns[(q.question_id, c)]], c, settings) for q, c in keys
        ]
        for (q, c), generation in zip(keys, backend.generate(requests, progress=progress), strict=True):
            turns[(q.question_id, c)].append(generation)
    rows = []
    for question in chunk:
        params = generate_params(question, settings, backend)
        gens = [turns[(question.question_id, c)] for c in range(settings.num_choices)]
        prompt = _rendered_prompt(backend, question, gens[-1], settings)  # FastChat kept the last prompt it built
        if prompt is not None:
            params["prompt"] = prompt
        params["new_tokens"] = [[g.new_tokens for g in choice] for choice in gens]
        params["finish_reasons"] = [[g.finish_reason for g in choice] for choice in gens]
        rows.append(
            {
                "question_id": question.question_id,
                "answer_id": new_answer_id(),
                "model_id": model_id,
                "choices": [{"index": c, "turns": [g.text.strip() for g in gens[c]]} for c in range(len(gens))],
                "tstamp": time.time(),
                "generate_params": params,
            }
        )
    return rows


def _rendered_prompt(
    backend: Backend, question: Question, last_choice: Sequence[Generation], settings: GenerationSettings
) -> str | None:
    """The last turn's prompt text as the model saw it, when the backend can render chats (a local model)."""
    render = getattr(backend, "render_chat", None)
    if not callable(render):
        return None
    previous = [g.text.strip() for g in last_choice[:-1]]
    return render(conversation(question, previous, settings), settings.chat_template)


def _append(path: Path, rows: Sequence[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as fh:
        fh.write("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows))
        fh.flush()


def _resume(
    partial: Path, questions: Sequence[Question], settings: GenerationSettings, backend: Backend, model_id: str
) -> dict[int, dict[str, Any]]:
    if not partial.exists():
        return {}
    by_id = {q.question_id: q for q in questions}
    done = {}
    for number, row in read_rows(partial, "partial answer file", tolerate_torn_tail=True):
        qid = int(row.get("question_id", -1))
        if qid not in by_id:
            continue
        expected = generate_params(by_id[qid], settings, backend)
        got = row.get("generate_params", {})
        differing = [k for k in (*_RESUME_KEYS, "temperature") if got.get(k) != expected[k]]
        if row.get("model_id") != model_id:
            differing.insert(0, "model_id")
        if differing:
            raise MtBenchError(
                f"{partial}:{number}: answers generated with other settings ({', '.join(differing)}); delete "
                f"{partial} to start over, or generate with the settings it was started with"
            )
        done[qid] = row
    return done
