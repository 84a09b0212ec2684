"""The synthetic run-folder builder (`synthetic_run.py`) follows the contracts, so the report tests that build
on it build on something faithful."""

from __future__ import annotations

from pathlib import Path

from synthetic_run import make_run, synthetic_log_history

from stxlib.config import load_params
from stxlib.io import read_json
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
    results = read_json(paths.eval_dir("base") / "results.json")  # with the headline block the eval stage writes
    assert results["headline"]["jsquad-1.1-0.3"] == {"metric": "exact_match", "scale": 0.01, "value": 0.687303}
    assert results["headline"]["marc_ja-1.1-0.3"]["value"] == results["results"]["marc_ja-1.1-0.3"]["acc"]
    older = make_run(tmp_path, "older", headline=False)
    assert "headline" not in read_json(older.eval_dir("base") / "results.json")
