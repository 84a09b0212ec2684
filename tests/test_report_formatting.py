"""Numbers as a reader sees them in the report and the notebooks: rounded, counts as integers, "—" for
missing, shares as percentages; the precision training used; JGLUE rows with stand-in prompts or data that is
not JGLUE v1.1's marked in the headline table."""

from __future__ import annotations

import math
from pathlib import Path

from synthetic_run import make_run, mix_stats

from stxlib.data.views import counts_frame, truncation_frame
from stxlib.formatting import count, fmt, percent
from stxlib.io import read_json, write_json
from stxlib.report.load import load_run
from stxlib.report.sections.eval import jglue_table
from stxlib.report.sections.train import train_table
from stxlib.train.views import summary_frame


def test_numbers_are_rounded_counted_and_dashed() -> None:
    assert fmt(7.89976167678833) == "7.9" and fmt(1234.5678) == "1,234.6" and fmt(0.0002) == "0.0002"
    assert fmt(math.nan) == fmt(None) == "—" and fmt(60) == "60"
    assert count(60.0) == "60" and count(4389) == "4,389" and count(58.8) == "59" and count(None) == "—"
    assert percent(0.21) == "21.0%" and percent(0.004) == "0.4%" and percent(None) == "—"


def test_notebook_frames_show_no_float_counts_nan_or_fractions() -> None:
    counts = counts_frame(mix_stats(samples=60, eval_size=24))
    assert counts.loc["snow", "train"] == "60" and counts.loc["snow", "available validation"] == "—"
    assert counts.loc["total", "train"] == "180" and "NaN" not in counts.to_string()
    cut = truncation_frame(mix_stats())
    assert cut.loc[("train", "xlsum"), "source > 1024"] == "21.0%"  # as the report writes it
    assert summary_frame({"train_loss": 7.89976167678833, "steps": 40, "resumed_from": None})["value"].tolist() == [
        "7.9",
        "40",
        "—",
    ]


def test_the_report_shows_the_precision_training_used(tmp_path: Path) -> None:
    run = load_run(make_run(tmp_path).root)
    rows = {str(r[0]): str(r[1]) for r in train_table(run).rows}
    assert rows["precision used in training"] == "mixed precision bf16, 4-bit compute bfloat16, LoRA weights float32"


def test_headline_rows_of_stand_in_prompts_and_later_jglue_data_are_marked(tmp_path: Path) -> None:
    paths = make_run(tmp_path)
    clean = jglue_table(load_run(paths.root))
    assert [str(r[0]) for r in clean.rows] == ["jsquad", "jcommonsenseqa", "jnli", "marc_ja"]
    assert "†" not in clean.note and "⚠" not in clean.note
    file = paths.eval_dir("finetuned") / "results.json"
    data = read_json(file)
    details = data["config"]["task_details"]
    details["jnli-1.1-0.3"]["data_checks"]["validation"].update(
        label_counts={"entailment": 349, "contradiction": 735, "neutral": 1350}, **{"v1.1_labels": False}
    )
    details["marc_ja-1.1-0.3"]["jp_stable_prompts"] = False
    data["config"]["data_warnings"] = ["jnli-1.1-0.3: validation labels are not v1.1's (entailment 349, …)"]
    write_json(file, data)
    table = jglue_table(load_run(paths.root))
    names = [str(r[0]) for r in table.rows]
    assert names == ["jsquad", "jcommonsenseqa", "jnli ⚠", "marc_ja †"]
    assert "† few-shot prompts are stand-ins" in table.note
    assert "⚠ data is not JGLUE v1.1's (sizes or JNLI labels): jnli-1.1-0.3: validation labels" in table.note
