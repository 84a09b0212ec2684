"""Stage `preferences` over a run folder holding real FastChat MT-Bench files, `stx preferences fit`, notebook 11."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from helpers import SMOKE, code_outputs, execute_notebook

from stxlib.cli import main
from stxlib.config import load_params
from stxlib.io import read_json
from stxlib.paths import RunPaths
from stxlib.preferences import PreferenceError, VotingPanel, panel_for_run, read_votes, run_stage
from stxlib.stages import get_stage

FAST = ["stats.resamples=100"]


def make_run(root: Path, shared: Path) -> RunPaths:
    """A run folder with `mt_bench/<label>/{answers,judgments}.jsonl` from the recorded FastChat files."""
    source = shared / "data" / "japanese-mt-bench"
    for label, model in (("shisa", "shisa-7b-v1-fullprompt"), ("gpt4", "gpt-4")):
        folder = root / "mt_bench" / label
        folder.mkdir(parents=True)
        shutil.copy(source / "model_answer" / f"{model}.jsonl", folder / "answers.jsonl")
        shutil.copy(source / "model_judgment" / "gpt-4_single" / f"{model}__1turn.jsonl", folder / "judgments.jsonl")
    return RunPaths(root)


def test_batch_run_fits_the_judge_decided_pairs(shared: Path, tmp_path: Path) -> None:
    paths = make_run(tmp_path / "run", shared)
    config = load_params(SMOKE, FAST)
    results = run_stage(config, paths)
    folder = paths.root / "preferences"
    assert results.primary == "judge:gpt-4" and not (folder / "votes.jsonl").exists()
    btl = read_json(folder / "btl.json")
    assert list(btl) == ["alpha", "draws", "resamples", "models", "p_win"] and btl["resamples"] == 100
    assert [m["model"] for m in btl["models"]] == ["gpt4", "shisa"]
    assert (btl["models"][0]["wins"], btl["models"][0]["losses"], btl["models"][0]["draws"]) == (53, 1, 6)
    assert len(read_votes(folder / "judge_votes.jsonl")) == 60
    summary = read_json(folder / "summary.json")
    assert summary["primary"] == "judge:gpt-4" and summary["fits"][0]["btl_file"] == "btl.json"
    assert summary["judge_votes"] == {
        "judge": "gpt-4",
        "votes": 60,
        "unparsable_pairs": 0,
        "unmatched_questions": 0,
        "fallback_votes": 0,
    }
    assert summary["notes"] == [] and results.describe().startswith("primary fit: judge:gpt-4 -> ")
    for plot in summary["fits"][0]["plots"]:
        assert (paths.root / plot).is_file()
    assert not get_stage("preferences").missing_outputs(paths, config)


def test_human_votes_are_fitted_separately_and_never_deleted(shared: Path, tmp_path: Path) -> None:
    paths = make_run(tmp_path / "run", shared)
    config = load_params(SMOKE, FAST)
    panel = panel_for_run(config, paths, rater_id="alice")
    assert panel.total == 60 and "[質問]" not in panel.prompt.value  # prompt text taken from the judge prompts
    for choice in ("left", "right", "left", "draw", "skip"):
        panel.vote(choice)
    votes_file = paths.root / "preferences" / "votes.jsonl"
    before = votes_file.read_bytes()
    results = run_stage(config, paths)
    assert list(results.fits) == ["human", "judge:gpt-4"] and results.primary == "human"
    human = read_json(paths.root / "preferences" / "btl.json")
    judge = read_json(paths.root / "preferences" / "btl_judge.json")
    assert sum(m["comparisons"] for m in human["models"]) == 2 * 4  # the skip is not a comparison
    assert sum(m["comparisons"] for m in judge["models"]) == 2 * 60
    summary = read_json(paths.root / "preferences" / "summary.json")
    assert [f["raters"] for f in summary["fits"]] == ["human", "judge:gpt-4"]
    assert summary["fits"][0]["votes"] == 4 and summary["fits"][0]["skipped"] == 1
    # a fresh run of the stage removes what it derives, never the votes
    for path in get_stage("preferences").workdirs(paths):
        assert path != votes_file
    assert votes_file.read_bytes() == before
    resumed = VotingPanel(panel.items, votes_file, rater_id="alice", seed=config.run.seed)
    assert resumed.done == 5


def test_a_run_without_votes_or_judgments_says_what_is_needed(tmp_path: Path) -> None:
    with pytest.raises(PreferenceError, match=r"at least two labels.*notebook 11"):
        run_stage(load_params(SMOKE), RunPaths(tmp_path))


def test_a_judge_that_decided_no_pair_gives_an_empty_fit_and_a_note(shared: Path, tmp_path: Path) -> None:
    """The Shisa smoke judges with the tiny model: every rating unparsable (−1). The stage says so, no crash."""
    paths = make_run(tmp_path / "run", shared)
    for label in ("shisa", "gpt4"):
        path = paths.root / "mt_bench" / label / "judgments.jsonl"
        rows = [json.loads(line) | {"score": -1} for line in path.read_text(encoding="utf-8").splitlines()]
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    results = run_stage(load_params(SMOKE, FAST), paths)
    assert results.primary is None and results.fits == {}
    btl = read_json(paths.root / "preferences" / "btl.json")
    assert btl == {"alpha": 0.01, "draws": "drop", "resamples": 100, "models": [], "p_win": {}}
    summary = read_json(paths.root / "preferences" / "summary.json")
    assert summary["judge_votes"]["unparsable_pairs"] == 60 and summary["fits"] == []
    assert "no judge-decided fit" in summary["notes"][0] and "60 pairs had an unparsable rating" in summary["notes"][0]
    assert not (paths.root / "preferences" / "judge_votes.jsonl").exists()
    assert results.describe().startswith("no fit\nnote: no judge-decided fit")


def test_judge_rows_in_the_human_file_are_refused(shared: Path, tmp_path: Path) -> None:
    paths = make_run(tmp_path / "run", shared)
    config = load_params(SMOKE, FAST)
    run_stage(config, paths)
    shutil.copy(paths.root / "preferences" / "judge_votes.jsonl", paths.root / "preferences" / "votes.jsonl")
    with pytest.raises(PreferenceError, match="holds votes of judge:gpt-4"):
        run_stage(config, paths)


def test_cli_fit_writes_btl_json(shared: Path, tmp_path: Path, capsys) -> None:
    paths = make_run(tmp_path / "run", shared)
    run_stage(load_params(SMOKE, FAST), paths)
    votes = paths.root / "preferences" / "judge_votes.jsonl"
    out = tmp_path / "fit"
    code = main(["preferences", "fit", str(votes), "--out", str(out), "--resamples", "50", "--draws", "split"])
    printed = capsys.readouterr().out
    assert code == 0 and "judge:gpt-4" in printed and "gpt4" in printed
    btl = read_json(out / "btl.json")
    assert btl["draws"] == "split" and btl["resamples"] == 50
    # mixed human and judge votes: refused unless one kind is chosen
    mixed = tmp_path / "mixed.jsonl"
    human = json.loads(votes.read_text(encoding="utf-8").splitlines()[0]) | {"rater_id": "alice"}
    mixed.write_text(votes.read_text(encoding="utf-8") + json.dumps(human, ensure_ascii=False) + "\n")
    assert main(["preferences", "fit", str(mixed), "--out", str(out)]) == 1
    assert "never fitted together; choose one with --raters" in capsys.readouterr().err
    assert (
        main(["preferences", "fit", str(mixed), "--out", str(out), "--raters", "judge:gpt-4", "--resamples", "20"]) == 0
    )
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"prompt_id": 1}\n')
    assert main(["preferences", "fit", str(broken)]) == 1
    assert f"{broken}:1: vote row lacks" in capsys.readouterr().err


@pytest.mark.slow
def test_notebook_11_shows_the_panel_and_fits(shared: Path, tmp_path: Path) -> None:
    paths = make_run(tmp_path / "run", shared)
    nb = execute_notebook(
        "11_preferences",
        paths.root / "11_preferences.ipynb",
        params_file=str(SMOKE),
        run_dir=str(paths.root),
        overrides="stats.resamples=100",
    )
    assert (paths.root / "preferences" / "btl.json").is_file()
    outputs = code_outputs(nb)
    assert any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in outputs)  # the panel
    assert sum("image/png" in o.get("data", {}) for o in outputs) == 2  # forest plot, heatmap
    text = "".join(o.get("text", "") for o in outputs)
    assert "primary fit: judge:gpt-4" in text
    html = "".join(o.get("data", {}).get("text/html", "") for o in outputs)
    assert "judge:gpt-4: alpha=" in html and "P(row beats column)" in html  # the fit's captioned tables
