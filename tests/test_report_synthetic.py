"""The synthetic run-folder builder (`synthetic_run.py`) follows the contracts, so the report tests that build
on it build on something faithful."""

from __future__ import annotations

from pathlib import Path

from synthetic_run import make_run, synthetic_log_history

from stxlib.config import load_params
from stxlib.plots.loss_curves import parse_log_history


def test_synthetic_run_follows_the_contracts(tmp_path: Path) -> None:
    paths = make_run(tmp_path)
    assert paths.root == tmp_path / "openorca_stx"
    for path in (
        paths.manifest,
        paths.params,
        paths.mix_stats,
        paths.train_file,
        paths.log_history,
        paths.train_summary,
        paths.eval_dir("base") / "results.json",
    ):
        assert path.is_file(), path
    curves = parse_log_history(synthetic_log_history())
    assert len(curves.train_steps) == 100 and len(curves.eval_steps) == 20
    assert curves.best == (350, curves.eval_loss[6])
    assert load_params(paths.params).run.name == "openorca_stx"
