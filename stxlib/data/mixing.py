"""Equal seeded samples per source, mapped through the card's templates, plus a validation set.

Validation options (specs/stx-recipe.md §3.7):
- **A** (default, matches the card's "1.2 epochs"): every sampled row trains; validation rows come
  from each source's validation split, or, for a source without one (SNOW), are held out from its
  train split *before* the training sample is drawn.
- **B** (stock qlora on one file): the mixed rows are split 90/10, the 10 % discarded
  (artidoro/qlora#251), and `eval_size` rows of the 90 % become validation.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from stxlib.config import DataSection
from stxlib.data.sources import SourceRows, load_source
from stxlib.data.templates import TemplateError, to_example


class MixError(ValueError):
    """The sample sizes or split do not fit the sources."""


@dataclass
class MixResult:
    train: list[dict[str, str]]
    validation: list[dict[str, str]]
    counts: dict[str, dict[str, Any]] = field(default_factory=dict)
    discarded: int = 0
    warnings: list[str] = field(default_factory=list)  # e.g. an unequal mix under on_short_source: take_all


def source_rng(seed: int, purpose: str) -> random.Random:
    """A generator seeded from the run seed and a label (string seeds hash stably in CPython)."""
    return random.Random(f"stx-mix/{seed}/{purpose}")


def split_counts(total: int, names: list[str]) -> dict[str, int]:
    """Share `total` as evenly as possible, the remainder going to the first names."""
    base, extra = divmod(total, len(names))
    return {name: base + (1 if i < extra else 0) for i, name in enumerate(names)}


def load_all(data: DataSection) -> dict[str, SourceRows]:
    return {name: load_source(name, section, data.cache_dir) for name, section in data.enabled_sources.items()}


def build_mix(data: DataSection, seed: int, loaded: dict[str, SourceRows] | None = None) -> MixResult:
    """Sample, template and shuffle the sources as `data` says. Deterministic for a seed."""
    loaded = loaded if loaded is not None else load_all(data)
    names = list(data.enabled_sources)
    if data.split == "A":
        return _mix_option_a(data, seed, loaded, names)
    return _mix_option_b(data, seed, loaded, names)


def _take(rng: random.Random, count: int | str, n: int, what: str, on_short: str, notes: list[str]) -> list[int]:
    """Indexes of the rows picked from `n` (sampling indexes picks exactly what sampling the rows would)."""
    if count == "all":
        picked = list(range(n))
        rng.shuffle(picked)
        return picked
    assert isinstance(count, int)
    if count > n:
        if on_short == "take_all":
            notes.append(
                f"{what}: asked for {count} rows but only {n} exist; data.on_short_source: take_all took all {n}, "
                "so the sources are NOT equally represented in the mix"
            )
            picked = list(range(n))
            rng.shuffle(picked)
            return picked
        raise MixError(
            f"{what}: asked for {count} rows but only {n} are available; lower "
            "data.samples_per_source / data.eval_size, or set data.samples_per_source: all or "
            "data.on_short_source: take_all"
        )
    return rng.sample(range(n), count)


def _where(places: list[str] | None, index: int, split: str) -> str:
    return places[index] if places is not None else f"{split} record {index} (in load order)"


def _examples(
    data: DataSection, name: str, records: list[dict[str, Any]], picked: list[int], places: list[str] | None, split: str
) -> list[dict[str, str]]:
    section = data.sources[name]
    out = []
    for index in picked:
        try:
            out.append(to_example(name, section.template, section.target, records[index]))
        except TemplateError as err:
            raise MixError(
                f"source {name!r}, {_where(places, index, split)}: {err} (check data.sources.{name}.template/target)"
            ) from None
    return out


def _mix_option_a(data: DataSection, seed: int, loaded: dict[str, SourceRows], names: list[str]) -> MixResult:
    val_counts = split_counts(data.eval_size, names)
    train: list[dict[str, str]] = []
    validation: list[dict[str, str]] = []
    counts: dict[str, dict[str, Any]] = {}
    notes: list[str] = []
    for name in names:
        rows = loaded[name]
        rng = source_rng(seed, name)
        if rows.validation is not None and len(rows.validation) > 0:
            n_val = len(rows.validation)
            val_picked = _take(rng, val_counts[name], n_val, f"source {name!r} validation", "error", notes)
            val_examples = _examples(data, name, rows.validation, val_picked, rows.validation_where, "validation")
            pool = list(range(len(rows.train)))
            val_origin = "validation split"
        else:
            held = _take(rng, val_counts[name], len(rows.train), f"source {name!r} held-out validation", "error", notes)
            held_set = set(held)
            val_examples = _examples(data, name, rows.train, held, rows.train_where, "train")
            pool = [i for i in range(len(rows.train)) if i not in held_set]
            val_origin = "held out from train"
        what = f"source {name!r} train sample"
        picked = [pool[i] for i in _take(rng, data.samples_per_source, len(pool), what, data.on_short_source, notes)]
        train.extend(_examples(data, name, rows.train, picked, rows.train_where, "train"))
        validation.extend(val_examples)
        counts[name] = {
            "available_train": len(rows.train),
            "available_validation": None if rows.validation is None else len(rows.validation),
            "train": len(picked),
            "validation": len(val_examples),
            "validation_from": val_origin,
            "origin": rows.origin,
        }
    source_rng(seed, "shuffle-train").shuffle(train)
    source_rng(seed, "shuffle-validation").shuffle(validation)
    return MixResult(train, validation, counts, warnings=_unequal(notes, counts, "train"))


def _unequal(notes: list[str], counts: dict[str, dict[str, Any]], key: str) -> list[str]:
    """The take_all notes, with the resulting per-source counts when they differ."""
    if not notes:
        return []
    sizes = ", ".join(f"{name} {info[key]}" for name, info in counts.items())
    return [*notes, f"unequal mix: {key} rows per source are {sizes}"]


def _mix_option_b(data: DataSection, seed: int, loaded: dict[str, SourceRows], names: list[str]) -> MixResult:
    from datasets import Dataset

    mixed: list[dict[str, str]] = []
    counts: dict[str, dict[str, Any]] = {}
    notes: list[str] = []
    for name in names:
        rows = loaded[name]
        rng = source_rng(seed, name)
        what = f"source {name!r} train sample"
        picked = _take(rng, data.samples_per_source, len(rows.train), what, data.on_short_source, notes)
        mixed.extend(_examples(data, name, rows.train, picked, rows.train_where, "train"))
        counts[name] = {
            "available_train": len(rows.train),
            "available_validation": None if rows.validation is None else len(rows.validation),
            "sampled": len(picked),
            "origin": rows.origin,
        }
    source_rng(seed, "shuffle-train").shuffle(mixed)
    # qlora: train_test_split(test_size=0.1) (its 10 % is then dropped), then
    # train_test_split(test_size=eval_dataset_size, shuffle=True, seed=42) for the eval set.
    first = Dataset.from_list(mixed).train_test_split(test_size=0.1, seed=seed)
    kept = first["train"]
    if data.eval_size >= len(kept):
        raise MixError(
            f"split B: data.eval_size={data.eval_size} but only {len(kept)} rows remain after the 90/10 split; "
            "lower data.eval_size"
        )
    second = kept.train_test_split(test_size=data.eval_size, shuffle=True, seed=42)
    train, validation = second["train"].to_list(), second["test"].to_list()
    for name in names:
        counts[name]["train"] = sum(1 for r in train if r["source"] == name)
        counts[name]["validation"] = sum(1 for r in validation if r["source"] == name)
        counts[name]["validation_from"] = "qlora 90/10 then eval_size re-split"
    return MixResult(
        train, validation, counts, discarded=len(first["test"]), warnings=_unequal(notes, counts, "sampled")
    )
