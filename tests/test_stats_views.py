"""The notebooks' interval tables (notebooks 03, 09, 10): view helpers of the stage packages over a synthetic run."""

from __future__ import annotations

from pathlib import Path

import pytest
from synthetic_stages import add_mt_bench, shisa_like_run

from stxlib.config import load_params
from stxlib.jglue.deltas import delta_frame as jglue_frame
from stxlib.llm_jp_eval.stage import result_dirs
from stxlib.llm_jp_eval.views import delta_frame as llm_frame
from stxlib.mt_bench.views import delta_frame as mt_frame
from stxlib.paths import RunPaths
from stxlib.stats import format_interval, jglue_delta


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> RunPaths:
    return shisa_like_run(tmp_path_factory.mktemp("views"))


def test_notebook_tables_show_intervals(run: RunPaths) -> None:
    config = load_params(run.params)
    jglue = jglue_frame(config, run)
    assert list(jglue["task"]) == ["jsquad", "jcommonsenseqa", "jnli", "marc_ja"]
    expected = jglue_delta(run.eval_dir("base"), run.eval_dir("finetuned"), "jnli-1.1-0.3", resamples=1000, seed=0)
    assert jglue.loc[jglue["task"] == "jnli", "Δ [95% interval]"].item() == format_interval(expected)
    assert jglue.loc[jglue["task"] == "jsquad", "value"].item() == pytest.approx(0.835)  # exact match / 100
    llm = llm_frame(result_dirs(config, run), config.stats)
    assert {"AVR", "NLI", "jsts_pearson"} <= set(llm["score"]) and llm["excludes 0"].dtype == bool
    mt = mt_frame(config, run)
    assert mt["Δ [95% interval]"].item().startswith("+1.50 [")


def test_no_pairable_items_gives_an_empty_table_with_the_reason(run: RunPaths, tmp_path: Path) -> None:
    import shutil

    copy = RunPaths(Path(shutil.copytree(run.root, tmp_path / "copy")))
    add_mt_bench(copy, unparsable=True)
    frame = mt_frame(load_params(copy.params), copy)
    assert frame.empty and "no intervals" in frame.attrs["note"]
