"""Tables the data-mixing notebook shows (pandas): the notebook only calls these and displays them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from stxlib.config import DataSection
from stxlib.formatting import DASH, count, percent


def templates_frame(data: DataSection) -> pd.DataFrame:
    """One row per enabled source: its prompt template (repr, so the full-width colon and newlines show),
    the field that becomes the output, and where its rows come from."""
    return pd.DataFrame(
        [
            {
                "source": name,
                "template": repr(s.template),
                "output field": s.target,
                "origin": s.train_files or s.hub_id,
            }
            for name, s in data.enabled_sources.items()
        ]
    )


def examples_table(rows: Sequence[dict[str, str]], per_source: int = 2, max_chars: int = 300) -> Any:
    """`examples_frame` styled for a notebook: text wrapped and left-aligned, nothing cut by pandas."""
    frame = examples_frame(rows, per_source, max_chars)
    return frame.style.set_properties(**{"white-space": "pre-wrap", "text-align": "left"})


def examples_frame(rows: Sequence[dict[str, str]], per_source: int = 2, max_chars: int = 300) -> pd.DataFrame:
    """The first `per_source` rows of each source, text shortened to `max_chars`."""
    seen: dict[str, int] = {}
    picked = []
    for row in rows:
        if seen.get(row["source"], 0) < per_source:
            seen[row["source"]] = seen.get(row["source"], 0) + 1
            picked.append({k: _short(row[k], max_chars) for k in ("source", "input", "output")})
    return pd.DataFrame(picked).sort_values("source", kind="stable").reset_index(drop=True)


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def counts_frame(stats: dict[str, Any]) -> pd.DataFrame:
    """Rows per source and split, with what each source had available (counts as integers, "—" where a
    source has no such split or the total row has no value)."""
    records = []
    for name, info in stats["sources"].items():
        records.append(
            {
                "source": name,
                "available train": count(info["available_train"]),
                "available validation": count(info["available_validation"]),
                "train": count(info["train"]),
                "validation": count(info["validation"]),
                "validation from": info["validation_from"],
            }
        )
    totals = stats["totals"]
    records.append(
        {
            "source": "total",
            "available train": DASH,
            "available validation": DASH,
            "train": count(totals["train"]),
            "validation": count(totals["validation"]),
            "validation from": "",
        }
    )
    return pd.DataFrame(records).set_index("source")


def truncation_frame(stats: dict[str, Any]) -> pd.DataFrame:
    """Share of rows whose source / target would be cut at the configured max lengths (as percentages, like
    the report), with the p95 and max token lengths."""
    records = []
    for split, per_source in stats["lengths"].items():
        for name, info in per_source.items():
            records.append(
                {
                    "split": split,
                    "source": name,
                    "rows": count(info["rows"]),
                    "source tokens p95": count(info["source_tokens"].get("p95")),
                    "source tokens max": count(info["source_tokens"].get("max")),
                    f"source > {stats['source_max_len']}": percent(info["source_truncated"]),
                    "target tokens p95": count(info["target_tokens"].get("p95")),
                    "target tokens max": count(info["target_tokens"].get("max")),
                    f"target > {stats['target_max_len']}": percent(info["target_truncated"]),
                }
            )
    return pd.DataFrame(records).set_index(["split", "source"])
