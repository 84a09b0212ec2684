"""The mt_bench stage: params, run_stage's files per model, resuming, views and the plot.

Generation here goes through a scripted test double (the plumbing); judging through the real HTTP backend
against a loopback judge. The real local model is exercised by the notebook test.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from engine_doubles import ScriptedBackend
from helpers import SMOKE
from openai_server import OpenAIServer, chat_reply

from stxlib.config import ParamsError, load_params
from stxlib.engine import LocalModelSpec
from stxlib.io import read_json, read_jsonl
from stxlib.modeling import ModelLoadError
from stxlib.mt_bench import check_config, run_stage
from stxlib.mt_bench.questions import QUESTION_FILES
from stxlib.mt_bench.stage import model_dir
from stxlib.mt_bench.views import (
    category_frame,
    flagged_frame,
    leakage_frame,
    per_question_frame,
    question_frame,
    scores_frame,
)
from stxlib.paths import RunPaths
from stxlib.stages import get_stage


def judge_by_length(path: str, body: dict[str, Any]):
    return 200, chat_reply(f"短い説明。評価：[[{len(body['messages'][1]['content']) % 10 + 1}]]"), {}


def stage_config(url: str, *extra: str):
    overrides = ["mt_bench.limit=3", f"mt_bench.judge.url={url}", "mt_bench.judge.model=judge-x"]
    return load_params(SMOKE, [*overrides, "mt_bench.judge.max_retries=0", *extra])


@pytest.fixture
def paths(tmp_path: Path) -> RunPaths:
    paths = RunPaths(tmp_path / "run")
    paths.best_adapter.mkdir(parents=True)
    (paths.best_adapter / "adapter_config.json").write_text("{}")  # what `adapter: best` resolves to
    return paths


def test_stage_writes_answers_judgments_scores_and_resumes(paths: RunPaths) -> None:
    opened: list[LocalModelSpec] = []
    backends: list[ScriptedBackend] = []

    def open_backend(spec: LocalModelSpec) -> ScriptedBackend:
        opened.append(spec)
        backends.append(ScriptedBackend())
        return backends[-1]

    with OpenAIServer(judge_by_length) as server:
        config = stage_config(server.url)
        results = run_stage(config, paths, open_backend=open_backend, progress=False)
        assert len(server.requests) == 6  # 3 questions x 2 models, turn 1
        assert get_stage("mt_bench").missing_outputs(paths, config) == []
        # a second run finds everything done: no model loaded, nothing sent to the judge
        again = run_stage(config, paths, open_backend=open_backend, progress=False)
        assert len(opened) == 2 and len(server.requests) == 6

    base = config.model.name_or_path
    assert [(s.model, s.adapter) for s in opened] == [(base, None), (base, str(paths.best_adapter))]
    assert all(b.closed for b in backends)
    assert set(results) == {"base", "finetuned"} and again["base"]["score"] == results["base"]["score"]
    for label in ("base", "finetuned"):
        folder = model_dir(paths, label)
        answers = read_jsonl(folder / "answers.jsonl")
        assert [a["question_id"] for a in answers] == [11, 12, 13] and answers[0]["model_id"] == label
        scores = read_json(folder / "scores.json")
        assert scores == results[label]
        assert scores["label"] == label and scores["model"] == label and scores["judge"] == "judge-x"
        assert scores["judge_kind"] == "api" and scores["limit"] == 3 and scores["question_set"] == "default60"
        assert scores["n_judged"] == 3 and scores["n_unparsable"] == 0
        assert len(scores["per_question"]) == 3 and set(scores["per_category"]) == {"extraction"}
        assert 0 <= scores["pct_ja"] <= 100 and scores["leakage"]["n_answers"] == 3
        assert all(r["judge"][0] == "judge-x" for r in read_jsonl(folder / "judgments.jsonl"))
    assert (paths.plots / "mt_bench_categories.png").stat().st_size > 0

    table = scores_frame(results)
    assert list(table.index) == ["base", "finetuned"] and table.loc["base", "n_judged"] == 3
    assert list(category_frame(results).columns) == ["base", "finetuned"]
    assert leakage_frame(results).loc["base", "answers"] == 3
    assert len(flagged_frame(results, limit=2)) == 4
    assert per_question_frame(results).shape == (3, 2)
    folders = {label: model_dir(paths, label) for label in results}
    one = question_frame(folders, QUESTION_FILES["default60"], 12)
    assert list(one.index) == ["base", "finetuned"] and one.attrs["question"].startswith("[12, extraction] ")
    assert one.loc["base", "answer (turn 1)"] == "答え1 seed=0 t=0.2"
    assert one.loc["finetuned", "rating"] == read_jsonl(folders["finetuned"] / "judgments.jsonl")[1]["score"]


def test_unparsable_judge_counts_not_crashes(paths: RunPaths) -> None:
    with OpenAIServer(lambda p, b: (200, chat_reply("わかりません"), {})) as server:
        config = stage_config(server.url, "mt_bench.models=[{label: base}]", "mt_bench.limit=2")
        results = run_stage(config, paths, open_backend=lambda spec: ScriptedBackend(), progress=False)
    scores = results["base"]
    assert scores["n_judged"] == 2 and scores["n_unparsable"] == 2
    assert scores["score"] is None and scores["per_category"] == {}
    assert [q["ratings"] for q in scores["per_question"]] == [[-1], [-1]]
    assert (paths.plots / "mt_bench_categories.png").is_file()


def test_missing_adapter_fails_before_anything_runs(tmp_path: Path) -> None:
    paths = RunPaths(tmp_path / "run")
    config = stage_config("http://127.0.0.1:1/v1")
    with pytest.raises(ModelLoadError, match=r"mt_bench.models.1 \('finetuned'\).*best.*Run the train stage"):
        run_stage(config, paths, open_backend=lambda spec: pytest.fail("nothing may load"), progress=False)
    assert not (paths.root / "mt_bench").exists()


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("mt_bench.chat_template=chatml", "mt_bench.chat_template='chatml' is neither"),
        ("mt_bench.judge.chat_template=x", "mt_bench.judge.chat_template='x'"),
        ("mt_bench.judge.url=localhost:8000", "mt_bench.judge.url: not an http"),
        ("mt_bench.question_file=/nonexistent/q.jsonl", "question file not found: /nonexistent/q.jsonl"),
    ],
)
def test_check_config(override: str, message: str) -> None:
    with pytest.raises(ParamsError, match=message.replace("(", r"\(").replace(")", r"\)")):
        check_config(load_params(SMOKE, [override]))


def test_params_section() -> None:
    config = load_params(SMOKE)
    section = config.mt_bench
    assert [m.label for m in section.models] == ["base", "finetuned"] and section.models[1].adapter == "best"
    assert section.max_new_tokens == 512 and section.top_p == 0.9 and section.repetition_penalty == 1.1
    assert section.temperatures["writing"] == 0.5 and section.default_temperature == 0.7
    assert section.judge.kind == "api" and section.judge.model == "gpt-4" and section.judge.max_new_tokens == 2048
    assert section.system_prompt == "あなたは公平で、検閲されていない、役立つアシスタントです。"
    with pytest.raises(ParamsError, match="model labels must be unique"):
        load_params(SMOKE, ["mt_bench.models=[{label: a}, {label: a}]"])
    with pytest.raises(ParamsError, match=r"mt_bench\.judge\.kind"):
        load_params(SMOKE, ["mt_bench.judge.kind=remote"])
    with pytest.raises(ParamsError, match=r"mt_bench.questions"):
        load_params(SMOKE, ["mt_bench.questions=default61"])
    with pytest.raises(ParamsError, match=r"did you mean 'mt_bench.max_new_tokens'"):
        load_params(SMOKE, ["mt_bench.max_new_token=5"])


def test_category_figure_shows_each_model_and_marks_missing_categories() -> None:
    from stxlib.mt_bench.plots import category_figure

    results = {
        "base": {"judge": "j", "score": 4.0, "per_category": {"stem": 4.0, "writing": None}},
        "finetuned": {"judge": "j", "score": 7.5, "per_category": {"stem": 7.0, "writing": 8.0}},
    }
    fig = category_figure(results)
    ax = fig.axes[0]
    heights = [[round(bar.get_height(), 6) for bar in bars] for bars in ax.containers]
    assert heights[1] == [7.0, 8.0] and heights[0][0] == 4.0
    labels = [t.get_text() for t in ax.texts]
    assert "n/a" in labels and "8.0" in labels
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["base (4.00)", "finetuned (7.50)"]
    assert "judge: j" in ax.get_title()
