"""Table rows from the statistics files of a run folder, for the report, notebooks and `stx compare`.

Each function takes the parsed JSON of one file (design.md and docs/statistics.md fix the shapes) and returns
plain row dicts of display-ready values, so a report section needs no stage code:
- `contamination_rows(contamination.json)`;
- `preference_rows(btl.json)` and `preference_pair_rows(preferences/summary.json)`.
"""

from __future__ import annotations

import math
from typing import Any

ELO_SCALE = 400 / math.log(10)
EXAMPLE_CHARS = 80


def contamination_rows(data: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per evaluation set: documents, how many share an n-gram with training, share, longest, example."""
    rows = []
    for entry in data.get("eval_sets", []):
        examples = entry.get("examples") or []
        example = ""
        if examples:
            first = examples[0]
            text = first.get("text", "")
            text = text if len(text) <= EXAMPLE_CHARS else text[: EXAMPLE_CHARS - 1] + "…"
            source = first.get("training", {})
            example = f"{first.get('id')}: “{text}” (training {source.get('source')} row {source.get('row')})"
        rows.append(
            {
                "eval set": entry["name"],
                "documents": entry["documents"],
                "with overlap": entry["contaminated"],
                "share": entry["share"],
                f"longest overlap (chars, n={data.get('n')})": entry["longest"],
                "example": example,
            }
        )
    return rows


def preference_rows(btl: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per model of `btl.json`, strongest first: log-strength with interval, Elo-like, W/L/D, win rates."""
    rows = []
    for rank, model in enumerate(btl.get("models", []), 1):
        n = model["comparisons"]
        rows.append(
            {
                "rank": rank,
                "model": model["model"],
                "log_strength": model["log_strength"],
                "interval": f"[{model['ci_low']:+.3f}, {model['ci_high']:+.3f}]",
                "elo_like": ELO_SCALE * model["log_strength"],
                "comparisons": n,
                "wins": model["wins"],
                "losses": model["losses"],
                "draws": model["draws"],
                "win_rate": model["wins"] / n if n else math.nan,
                "adjusted_win_rate": (model["wins"] + 0.5 * model["draws"]) / n if n else math.nan,
            }
        )
    return rows


def preference_pair_rows(summary: dict[str, Any], fit: int = 0) -> list[dict[str, Any]]:
    """W/L/D per pair of the `fit`-th entry of `preferences/summary.json` (0 = the primary fit, btl.json)."""
    fits = summary.get("fits", [])
    if fit >= len(fits):
        return []
    rows = []
    for pair in fits[fit].get("pairs", []):
        n = pair["wins_a"] + pair["wins_b"] + pair["draws"]
        rows.append(
            {
                **pair,
                "n": n,
                "win_rate_a": pair["wins_a"] / n if n else math.nan,
                "adjusted_a": (pair["wins_a"] + 0.5 * pair["draws"]) / n if n else math.nan,
            }
        )
    return rows


def interval_rows(
    intervals: dict[str, dict[str, Any]], baseline: str, *, key_name: str = "task", digits: int = 3, scale: Any = None
) -> list[dict[str, Any]]:
    """One row per (model, score) of `{label: {key: Interval}}`: the baseline's and the model's value, the delta
    with its interval (`+0.031 [−0.004, +0.066] *`) and whether it excludes 0. `scale(key)` rescales a key's
    interval (e.g. JSQuAD exact match 0–100 shown / 100)."""
    from stxlib.stats.bootstrap import format_interval

    rows = []
    for label, per_key in intervals.items():
        for key, interval in per_key.items():
            shown = interval.scaled(scale(key)) if scale is not None else interval
            rows.append(
                {
                    "model": label,
                    key_name: key,
                    baseline: round(shown.base, digits + 1),
                    "value": round(shown.new, digits + 1),
                    f"Δ [{shown.confidence:.0%} interval]": format_interval(shown, digits),
                    "excludes 0": shown.excludes_zero,
                    "items": shown.n,
                }
            )
    return rows
