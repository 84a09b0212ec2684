"""The ten datasets of llm-jp-eval 1.1's `all`: category, metrics and token budget (llm-jp-eval 1.1.1's values)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

VERSION = "1.1"
METRICS = ("exact_match", "char_f1", "pearson", "spearman")  # the metrics these ten datasets use in 1.1


@dataclass(frozen=True)
class DatasetInfo:
    name: str
    category: str | None  # NLI, QA, RC, MC; None for jsts (in no category, not in AVR)
    metrics: tuple[str, ...]
    output_length: int  # max new tokens


DATASETS: dict[str, DatasetInfo] = {
    d.name: d
    for d in (
        DatasetInfo("jamp", "NLI", ("exact_match",), 3),
        DatasetInfo("janli", "NLI", ("exact_match",), 7),
        DatasetInfo("jcommonsenseqa", "MC", ("exact_match",), 1),
        DatasetInfo("jemhopqa", "QA", ("char_f1",), 15),
        DatasetInfo("jnli", "NLI", ("exact_match",), 3),
        DatasetInfo("jsem", "NLI", ("exact_match",), 3),
        DatasetInfo("jsick", "NLI", ("exact_match",), 3),
        DatasetInfo("jsquad", "RC", ("char_f1",), 25),
        DatasetInfo("jsts", None, ("pearson", "spearman"), 3),
        DatasetInfo("niilc", "QA", ("char_f1",), 180),
    )
}
DATASET_NAMES: tuple[str, ...] = tuple(DATASETS)  # 1.1's `all`, in its (alphabetical) order
CATEGORIES: dict[str, tuple[str, ...]] = {
    category: tuple(f"{d.name}_{d.metrics[0]}" for d in DATASETS.values() if d.category == category)
    for category in ("NLI", "QA", "RC", "MC")
}


class UnknownDatasetError(ValueError):
    """A dataset name that is not one of llm-jp-eval 1.1's ten."""


def check_dataset_name(name: str, where: str = "dataset") -> DatasetInfo:
    try:
        return DATASETS[name]
    except KeyError:
        raise UnknownDatasetError(
            f"{where} {name!r} is not an llm-jp-eval {VERSION} dataset; choose from {', '.join(DATASET_NAMES)}"
        ) from None


def resolve_datasets(names: str | Iterable[str] | None, where: str = "dataset") -> list[str]:
    """`"jnli,jamp"` (or a list) -> the names, checked, in 1.1's (alphabetical) order; None or empty -> all ten."""
    if names is None:
        return list(DATASET_NAMES)
    items = names.split(",") if isinstance(names, str) else list(names)
    wanted = [str(n).strip() for n in items if str(n).strip()]
    if not wanted:
        return list(DATASET_NAMES)
    for name in wanted:
        check_dataset_name(name, where)
    return [name for name in DATASET_NAMES if name in wanted]
