"""The opt-in log-likelihood rating fallback of a local judge (`mt_bench.judge.rating_fallback`): the tiny
judge's generated ratings are unparsable, the fallback gives each one a rating 1-10 while FastChat's score
keeps −1, and the preferences stage's judge-decided votes fit from those ratings (marked)."""

from __future__ import annotations

from pathlib import Path

import pytest

from stxlib.config import ParamsError, load_params
from stxlib.config.mt_bench import MtBenchJudgeSection
from stxlib.engine.http import HttpBackend
from stxlib.io import read_jsonl, write_jsonl
from stxlib.mt_bench import Judge
from stxlib.mt_bench.backends import close_backend, make_judge
from stxlib.mt_bench.pipeline import judge_file
from stxlib.mt_bench.stage import check_config
from stxlib.preferences.answers import judge_votes
from stxlib.preferences.fit import fit_votes
from stxlib.stats import mt_bench_ratings

pytestmark = pytest.mark.usefixtures("one_cpu_thread")


@pytest.fixture(scope="module")
def judged(tmp_path_factory: pytest.TempPathFactory, tiny_model_dir: Path, shared: Path) -> dict[str, Path]:
    """Two models' answers to 4 questions (Shisa's published answers, and the same cut short), judged by the
    tiny local judge with the fallback on (4 new tokens: smoke only)."""
    root = tmp_path_factory.mktemp("fallback")
    published = read_jsonl(shared / "data" / "japanese-mt-bench" / "model_answer" / "shisa-7b-v1-fullprompt.jsonl")
    rows = published[:4]
    cut = [{"index": 0, "turns": [r["choices"][0]["turns"][0][:12]]} for r in rows]
    short = [{**r, "model_id": "short", "choices": [c]} for r, c in zip(rows, cut, strict=True)]
    section = MtBenchJudgeSection(
        kind="local", model="stx-tiny", chat_template="llama-2", max_new_tokens=4, rating_fallback="loglikelihood"
    )
    judge = make_judge(section)
    out = {}
    try:
        for label, answers in (("full", rows), ("short", short)):
            write_jsonl(root / label / "answers.jsonl", answers)
            judge_file(judge, root / label / "answers.jsonl", root / label, progress=False)
            out[label] = root / label / "judgments.jsonl"
    finally:
        close_backend(judge.backend)
    return out


def test_fallback_rates_every_unparsable_judgment(judged: dict[str, Path]) -> None:
    from stxlib.io import read_json

    for path in judged.values():
        rows = read_jsonl(path)
        assert len(rows) == 4
        unparsable = [r for r in rows if r["score"] == -1]
        assert unparsable, "the tiny judge was expected to write no [[rating]] in 4 tokens"
        for row in unparsable:
            assert row["rating_source"] == "loglikelihood" and row["fallback_rating"] in range(1, 11)
            lls = row["fallback_loglikelihoods"]
            assert len(lls) == 10 and max(lls) == lls[row["fallback_rating"] - 1]
        scores = read_json(path.parent / "scores.json")
        assert scores["n_unparsable"] == len(unparsable) and scores["n_fallback"] == len(unparsable)
        if len(unparsable) == len(rows):
            assert scores["score"] is None  # FastChat's mean is unchanged: −1 rows are left out
        assert 1 <= scores["score_with_fallback"] <= 10
        _, bad, judge = mt_bench_ratings(path)  # the MT-Bench delta keeps FastChat's semantics
        assert len(bad) == len(unparsable) and judge == "stx-tiny"


def test_judge_votes_use_the_fallback_and_fit(judged: dict[str, Path]) -> None:
    votes = judge_votes(judged)
    assert len(votes.votes) == 4 and votes.unparsable == 0 and votes.fallback == 4
    assert all(v.to_row()["fallback"] is True for v in votes.votes)
    assert {v.to_row()["rating_source_a"] for v in votes.votes} == {"loglikelihood"}
    # the tiny judge's fallback often picks the same k for both answers (a draw): "one win each way" keeps them
    fit = fit_votes(votes.votes, draws="split", resamples=20)
    assert {m.model for m in fit.models} == {"full", "short"}


def test_fallback_off_is_fastchat_exact(judged: dict[str, Path], tmp_path: Path) -> None:
    drop = ("fallback_rating", "rating_source", "fallback_loglikelihoods")
    rows = [{k: v for k, v in r.items() if k not in drop} for r in read_jsonl(judged["full"])]
    write_jsonl(tmp_path / "plain.jsonl", rows)
    votes = judge_votes({"full": tmp_path / "plain.jsonl", "short": judged["short"]})
    assert votes.unparsable == sum(r["score"] == -1 for r in rows)


def test_fallback_needs_a_local_judge() -> None:
    backend = HttpBackend("gpt-4", "http://127.0.0.1:9/v1", name="gpt-4")
    with pytest.raises(ValueError, match="local judge that scores text"):
        Judge(backend, "gpt-4", rating_fallback="loglikelihood")
    from helpers import SMOKE

    config = load_params(SMOKE, ["mt_bench.judge.rating_fallback=loglikelihood"])
    with pytest.raises(ParamsError, match="needs a local judge"):
        check_config(config)


def test_preferences_stage_fits_the_fallback_votes(judged: dict[str, Path], tmp_path: Path) -> None:
    """What the Shisa smoke run does: mt_bench.judge.rating_fallback=loglikelihood, preferences.draws=split."""
    import shutil

    from helpers import SMOKE

    from stxlib.io import read_json
    from stxlib.paths import RunPaths
    from stxlib.preferences.stage import run_stage

    paths = RunPaths(tmp_path / "run")
    for label, path in judged.items():
        shutil.copytree(path.parent, paths.root / "mt_bench" / label)
    overrides = ["mt_bench.models=[{label: full}, {label: short}]", "preferences.draws=split", "stats.resamples=20"]
    run_stage(load_params(SMOKE, overrides), paths)
    btl = read_json(paths.root / "preferences" / "btl.json")
    summary = read_json(paths.root / "preferences" / "summary.json")
    assert {m["model"] for m in btl["models"]} == {"full", "short"}
    assert summary["judge_votes"]["fallback_votes"] == 4 and summary["judge_votes"]["unparsable_pairs"] == 0
    assert any("log-likelihood fallback" in note for note in summary["notes"])
    assert all(row["fallback"] is True for row in read_jsonl(paths.root / "preferences" / "judge_votes.jsonl"))


def test_cli_refuses_the_fallback_for_an_api_judge(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from stxlib.cli import main

    answers = tmp_path / "answers.jsonl"
    write_jsonl(answers, [{"question_id": 81, "model_id": "m", "choices": [{"index": 0, "turns": ["回答"]}]}])
    args = ["mt-bench", "judge", "--answers", str(answers), "--judge-model", "gpt-4", "--judge-url"]
    args += ["http://127.0.0.1:9/v1", "--rating-fallback", "loglikelihood", "--out", str(tmp_path / "out")]
    assert main(args) == 1
    assert "needs a local judge" in capsys.readouterr().err
    assert not (tmp_path / "out" / "judgments.jsonl").exists()
