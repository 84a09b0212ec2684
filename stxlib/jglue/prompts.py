"""Context assembly (`specs/jglue-0.3.md` §4) and the requests built from a context."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from stxlib.jglue.fewshot import FEWSHOT_SEED, ShotPool, plan_documents
from stxlib.jglue.tasks import DESCRIPTION, FEWSHOT_SEP, JSQUAD_STOP, JGlueTask, Row, get_task


def build_context(task: JGlueTask | str, shots: Sequence[Row], doc: Row) -> str:
    """DESCRIPTION, then `block + target + "\\n\\n"` per shot, then the document's block (ends `### 応答:\\n`)."""
    spec = get_task(task) if isinstance(task, str) else task
    return DESCRIPTION + "".join(spec.block(s) + spec.target(s) + FEWSHOT_SEP for s in shots) + spec.block(doc)


@dataclass(frozen=True)
class PromptedDoc:
    """One evaluation document with its full context: what the model is asked."""

    task: str
    position: int
    doc_id: int
    shot_ids: tuple[int, ...]
    context: str
    choices: tuple[str, ...]  # multiple choice; () for JSQuAD
    gold: int | tuple[str, ...]  # gold choice index, or every JSQuAD gold answer

    @property
    def is_generation(self) -> bool:
        return not self.choices

    def requests(self) -> list[list[Any]]:
        """`["greedy_until", context, ["\\n"]]` or one `["loglikelihood", context, choice]` per choice."""
        if self.is_generation:
            return [["greedy_until", self.context, list(JSQUAD_STOP)]]
        return [["loglikelihood", self.context, choice] for choice in self.choices]

    def gold_text(self) -> str:
        """The gold target string (JSQuAD: the first answer)."""
        if isinstance(self.gold, int):
            return self.choices[self.gold]
        return self.gold[0]


def prompted_doc(
    task: JGlueTask | str,
    doc: Row,
    shots: Sequence[Row],
    *,
    doc_id: int = 0,
    position: int = 0,
    shot_ids: Sequence[int] = (),
) -> PromptedDoc:
    spec = get_task(task) if isinstance(task, str) else task
    context = build_context(spec, shots, doc)
    if spec.is_generation:
        return PromptedDoc(spec.name, position, doc_id, tuple(shot_ids), context, (), tuple(spec.gold_answers(doc)))
    choices = tuple(spec.choices(doc))  # type: ignore[misc]
    return PromptedDoc(spec.name, position, doc_id, tuple(shot_ids), context, choices, spec.gold_index(doc))


def prepare_documents(
    task: JGlueTask | str,
    eval_rows: Sequence[Row],
    pool_rows: Sequence[Row],
    k: int,
    *,
    pool: ShotPool = "train",
    seed: int = FEWSHOT_SEED,
    limit: int | None = None,
) -> list[PromptedDoc]:
    """Every evaluated document of a task, in evaluation (shuffled) order, with its context."""
    spec = get_task(task) if isinstance(task, str) else task
    return [
        prompted_doc(
            spec,
            eval_rows[p.doc_id],
            [pool_rows[i] for i in p.shot_ids],
            doc_id=p.doc_id,
            position=p.position,
            shot_ids=p.shot_ids,
        )
        for p in plan_documents(eval_rows, pool_rows, k, pool=pool, seed=seed, limit=limit)
    ]
