"""notebooks/10_mt_bench.ipynb through papermill: the tiny model answers (base and a LoRA adapter) and judges,
offline on CPU. Smoke settings, clearly not FastChat's: 2 questions, 8 new tokens (FastChat: 512), a tiny judge
limited to 8 tokens, whose ratings are unparsable (n_unparsable, no crash)."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import SMOKE, code_outputs, execute_notebook, make_adapter

from stxlib.io import read_json, read_jsonl
from stxlib.paths import RunPaths

pytestmark = pytest.mark.slow

SMOKE_MT_BENCH = ";".join(
    [
        "mt_bench.limit=2",
        "mt_bench.max_new_tokens=8",  # smoke only (FastChat: 512)
        "mt_bench.chat_template=llama-2",  # the tiny tokenizer has no chat template
        "mt_bench.cpu_threads=1",
        "mt_bench.judge.kind=local",
        "mt_bench.judge.model=stx-tiny",
        "mt_bench.judge.chat_template=llama-2",
        "mt_bench.judge.max_new_tokens=8",  # smoke only (FastChat: 2048)
    ]
)


def test_notebook_answers_judges_and_shows_both_models(tiny_model_dir: Path, tmp_path: Path) -> None:
    paths = RunPaths(tmp_path / "run")
    make_adapter(tiny_model_dir, paths.best_adapter)  # what `adapter: best` loads
    nb = execute_notebook(
        "10_mt_bench",
        tmp_path / "10_mt_bench.ipynb",
        params_file=str(SMOKE),
        run_dir=str(paths.root),
        overrides=SMOKE_MT_BENCH,
    )
    answers = {}
    for label in ("base", "finetuned"):
        folder = paths.root / "mt_bench" / label
        answers[label] = read_jsonl(folder / "answers.jsonl")
        assert [a["question_id"] for a in answers[label]] == [11, 12]
        assert answers[label][0]["generate_params"]["prompt"].startswith("<s>[INST] <<SYS>>\nあなたは公平で")
        scores = read_json(folder / "scores.json")
        assert scores["judge"] == "stx-tiny" and scores["judge_kind"] == "local"
        assert scores["n_judged"] == 2 and scores["n_unparsable"] == 2 and scores["score"] is None
        assert scores["max_new_tokens"] == 8 and scores["limit"] == 2
        assert 0 <= scores["pct_ja"] <= 100
        assert {r["judge"][0] for r in read_jsonl(folder / "judgments.jsonl")} == {"stx-tiny"}
    assert answers["base"][0]["choices"] != answers["finetuned"][0]["choices"]  # the adapter changes answers
    assert (paths.plots / "mt_bench_categories.png").is_file()
    outputs = code_outputs(nb)
    html = "\n".join(str(out.get("data", {}).get("text/html", "")) for out in outputs)
    assert "% JA (legacy)" in html and "letters % JA" in html and "n_unparsable" in html
    assert any("image/png" in out.get("data", {}) for out in outputs)  # the per-category chart


def test_cli_with_local_models_is_seeded_and_counts_unparsable(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    """`stx mt-bench generate` with the tiny model (seed i for choice i: the same answers twice) and `judge`
    with the tiny model as a local judge: its ratings are unparsable and counted, not fatal."""
    from stxlib.cli import main

    out = tmp_path / "answers.jsonl"
    generate = ["mt-bench", "generate", "--model", "stx-tiny", "--chat-template", "fastchat-llama-2", "--limit", "2"]
    generate += ["--num-choices", "2", "--max-new-tokens", "8", "--threads", "1", "--out", str(out)]
    assert main(generate) == 0
    first = read_jsonl(out)
    assert main([*generate, "--force"]) == 0
    again = read_jsonl(out)
    assert [r["choices"] for r in first] == [r["choices"] for r in again]
    assert first[0]["generate_params"]["prompt"].startswith("<s>[INST] <<SYS>>\nあなたは公平で")
    assert first[0]["generate_params"]["prompt"].endswith("[/INST]")
    judge = ["mt-bench", "judge", "--answers", str(out), "--judge-local-model", "stx-tiny", "--threads", "1"]
    judge += ["--judge-chat-template", "llama-2", "--judge-max-new-tokens", "8", "--out", str(tmp_path / "j")]
    assert main(judge) == 0
    scores = read_json(tmp_path / "j" / "scores.json")
    assert scores["judge"] == "stx-tiny" and scores["n_judged"] == 2 and scores["n_unparsable"] == 2
    assert "score n/a (no parsable rating)" in capsys.readouterr().out
