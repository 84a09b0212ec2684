"""The report's sections of the Shisa training stages, built from their files only (a log history in trl's names,
the summaries); a missing DPO log is named."""

from __future__ import annotations

import math
from pathlib import Path

from synthetic_run import make_run

from stxlib.io import write_json
from stxlib.report import build_report


def _history(dpo: bool) -> list[dict]:
    rows = []
    for step in (1, 2, 3, 4):
        margin = 0.3 * (step - 1)
        row = {"step": step, "epoch": step / 4, "loss": math.log(2) - 0.05 * (step - 1), "learning_rate": 1e-3}
        if dpo:
            row |= {"rewards/chosen": margin / 2, "rewards/rejected": -margin / 2, "rewards/margins": margin}
            row |= {"rewards/accuracies": 1.0 if step > 1 else 0.0}
        rows.append(row)
        if step % 2 == 0:
            ev = {"step": step, "epoch": step / 4, "eval_loss": 0.6 - 0.1 * step}
            if dpo:
                ev |= {"eval_rewards/margins": 0.25 * step, "eval_rewards/chosen": 0.1, "eval_rewards/rejected": -0.1}
                ev |= {"eval_rewards/accuracies": 0.75}
            rows.append(ev)
    return rows


def test_training_sections_show_each_stage_and_the_dpo_rewards(tmp_path: Path) -> None:
    paths = make_run(tmp_path, "shisa", stages=(), overrides=["run.stages=[pretrain, sft, dpo, report]"])
    for stage in ("pretrain", "sft", "dpo"):
        dirs = paths.training(stage)
        write_json(dirs.log_history, _history(stage == "dpo"))
        summary = {"training_kind": stage, "steps": 4, "start": f"{stage} start", "peak_memory_gib": 0.5}
        write_json(dirs.train_summary, summary | ({"beta": 0.1} if stage == "dpo" else {}))
    page = build_report(paths.root).path.read_text(encoding="utf-8")
    for title in ("Continued pre-training", "Chat SFT", "DPO"):
        assert f">{title}</h2>" in page
    assert "rewards/margins" in page and "0.9000" in page and "1.0000" in page  # last train / eval margins
    for name in ("pretrain_loss_curves", "sft_loss_curves", "dpo_loss_curves", "dpo_rewards"):
        assert (paths.plots / f"{name}.png").is_file()
    assert "sft start" in page and "dpo/log_history.json" in page


def test_missing_dpo_log_is_named(tmp_path: Path) -> None:
    paths = make_run(tmp_path, "shisa", stages=(), overrides=["run.stages=[dpo, report]"])
    report = build_report(paths.root, allow_issues=True)
    assert (paths.plots / "dpo_rewards.png").is_file()  # drawn with the reason instead of curves
    assert "dpo/log_history.json" in report.path.read_text(encoding="utf-8")
