"""notebooks/03_jglue_eval.ipynb through papermill on the smoke params, with a fine-tuned adapter in the run."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import SMOKE, code_outputs, execute_notebook, make_adapter

from stxlib.io import read_json, read_jsonl
from stxlib.paths import RunPaths
from stxlib.published import CARD_TASKS

pytestmark = pytest.mark.slow


def test_notebook_evaluates_base_and_finetuned(tiny_model_dir: Path, tmp_path: Path) -> None:
    paths = RunPaths(tmp_path / "run")
    make_adapter(tiny_model_dir, paths.best_adapter)
    nb = execute_notebook(
        "03_jglue_eval",
        tmp_path / "03_jglue_eval.ipynb",
        params_file=str(SMOKE),
        run_dir=str(paths.root),
        overrides="eval.limit=3",
    )
    printed = "".join(o.get("text", "") for o in code_outputs(nb))
    assert f"finetuned: {paths.eval_dir('finetuned')}" in printed  # where each model's results are
    shown = "".join(o.get("data", {}).get("text/html", "") for o in code_outputs(nb))
    assert shown.count("<details>") == 1  # one task's prompt, collapsed, not every task's in full
    assert 'href="eval/finetuned/samples_jnli-1.1-0.3.jsonl"' in shown  # relative to the rendered notebook
    assert "Not the JGLUE v1.1 data of the card" in "".join(
        o.get("data", {}).get("text/markdown", "") for o in code_outputs(nb)
    )  # the fixtures are not the full v1.1 splits
    for label in ("base", "finetuned"):
        results = read_json(paths.eval_dir(label) / "results.json")
        assert results["config"]["limit"] == 3 and len(results["results"]) == 4
        assert all((paths.eval_dir(label) / f"samples_{t}.jsonl").is_file() for t in results["results"])
    assert read_json(paths.eval_dir("finetuned") / "results.json")["config"]["adapter"] == str(paths.best_adapter)
    base = read_jsonl(paths.eval_dir("base") / "samples_jcommonsenseqa-1.1-0.3.jsonl")
    tuned = read_jsonl(paths.eval_dir("finetuned") / "samples_jcommonsenseqa-1.1-0.3.jsonl")
    assert [s["prompt"] for s in base] == [s["prompt"] for s in tuned]  # same prompts, the adapter changes scores
    assert base[0]["loglikelihoods"] != pytest.approx(tuned[0]["loglikelihoods"], abs=1e-3)
    # what the notebook's tables show is what the stage wrote: the card's convention, read from results.json
    scores = {label: read_json(paths.eval_dir(label) / "results.json")["headline"] for label in ("base", "finetuned")}
    for label, headline in scores.items():
        assert set(headline) == set(CARD_TASKS)
        squad = headline["jsquad-1.1-0.3"]
        em = read_json(paths.eval_dir(label) / "results.json")["results"]["jsquad-1.1-0.3"]["exact_match"]
        assert squad["metric"] == "exact_match" and squad["value"] == pytest.approx(em / 100)
