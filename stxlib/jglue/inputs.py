"""Every task's evaluated documents with their prompts, built from the `eval` section before any model loads.

`prepare_tasks` fails fast on missing data. Shots come from the train split (jp-stable); where `shots_from`
allows a stand-in, from the validation split (the harness's own fallback) or from `shots_dir`, and the task
then carries a warning that its prompts are not jp-stable's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from stxlib.config.evaluation import EvalSection
from stxlib.jglue.data import JGlueDataNotFoundError, SplitData, data_checks, load_split
from stxlib.jglue.prompts import PromptedDoc, prepare_documents
from stxlib.jglue.tasks import get_task, parse_fewshot, resolve_tasks


@dataclass
class TaskInputs:
    """A task's evaluated documents (in evaluation order) and where their data and shots came from."""

    task: str
    k: int
    docs: list[PromptedDoc]
    detail: dict[str, Any] = field(default_factory=dict)
    warning: str | None = None

    @property
    def jp_stable_prompts(self) -> bool:
        return self.warning is None


def task_plan(section: EvalSection) -> list[tuple[str, int]]:
    """(full task name, few-shot count) per configured task, in order (short names resolved)."""
    tasks = resolve_tasks(section.tasks)
    return list(zip(tasks, parse_fewshot(section.num_fewshot, tasks), strict=True))


def prepare_tasks(section: EvalSection, cache_dir: str | None = None) -> list[TaskInputs]:
    """Load every task's data and build its prompts; raises before any model is loaded when data is missing."""
    return [prepare_task(task, k, section, cache_dir) for task, k in task_plan(section)]


def prepare_task(task: str, k: int, section: EvalSection, cache_dir: str | None = None) -> TaskInputs:
    spec = get_task(task)
    kwargs = {"revision": section.hub_revision, "cache_dir": cache_dir}
    validation = load_split(spec.name, "validation", section.data_dir, **kwargs)
    pool, pool_split, warning = _shot_pool(spec.name, k, validation, section, cache_dir)
    docs = prepare_documents(
        spec,
        validation.rows,
        pool.rows if pool is not None else [],
        k,
        pool=pool_split if pool_split != "none" else "train",
        seed=section.fewshot_seed,
        limit=section.limit,
    )
    detail = {
        "validation": validation.origin,
        "n_validation": len(validation.rows),
        "n_evaluated": len(docs),
        "num_fewshot": k,
        "shot_pool": {
            "split": pool_split,
            "origin": pool.origin if pool is not None else None,
            "rows": len(pool.rows) if pool is not None else 0,
        },
        "jp_stable_prompts": warning is None,
        "data_checks": {"validation": data_checks(spec.name, "validation", validation.rows)},
    }
    if pool is not None and pool_split == "train":
        detail["data_checks"]["train"] = data_checks(spec.name, "train", pool.rows)
    return TaskInputs(spec.name, k, docs, detail, warning)


def _shot_pool(
    task: str, k: int, validation: SplitData, section: EvalSection, cache_dir: str | None
) -> tuple[SplitData | None, str, str | None]:
    """(pool rows, "train" | "validation" | "none", warning when the prompts are not jp-stable's)."""
    if k == 0:
        return None, "none", None
    source = section.shots_dir or section.data_dir
    kwargs = {"revision": section.hub_revision, "cache_dir": cache_dir}
    if section.shots_from in ("train", "auto"):
        try:
            train = load_split(task, "train", source, **kwargs)
        except JGlueDataNotFoundError as err:
            if section.shots_from == "train":
                raise JGlueDataNotFoundError(
                    f"{err}\njp-stable draws the few-shot examples of {task} from its train split, so it is needed "
                    "for the exact prompts. To run without it, set --shots-from auto (eval.shots_from: auto; "
                    "validation stand-in where train is missing) or --shots-dir DIR (eval.shots_dir) with train "
                    "files in the raw layout; the prompts are then NOT the exact jp-stable prompts."
                ) from None
        else:
            warning = None
            if section.shots_dir and section.shots_dir != section.data_dir:
                warning = (
                    f"{task}: few-shot examples come from {train.origin} (shots_dir), not from the evaluated "
                    "data's train split: the prompts are NOT the exact jp-stable prompts"
                )
            return train, "train", warning
    warning = (
        f"{task}: no train split used; few-shot examples are drawn from the validation split ({validation.origin}) "
        "excluding the evaluated document (the harness's own no-train fallback): the prompts are NOT the exact "
        "jp-stable prompts and the numbers are not comparable with the card's"
    )
    return validation, "validation", warning
