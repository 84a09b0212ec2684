"""Stage `contamination` on a run folder (smoke params: the JGLUE fixtures), `stx contamination check`, notebook 12."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import FIXTURES, SMOKE, code_outputs, execute_notebook

from stxlib.cli import main
from stxlib.config import ParamsError, load_params
from stxlib.contamination import ContaminationDataError, check_config, run_stage
from stxlib.io import read_json
from stxlib.paths import RunPaths
from stxlib.stages import get_stage

JNLI = FIXTURES / "jglue" / "jnli-v1.1" / "valid-v1.1.json"


def make_run(root: Path) -> RunPaths:
    """`data/train.jsonl` in the data stage's layout; row 2 copies the first JNLI validation premise."""
    premise = json.loads(JNLI.read_text(encoding="utf-8").splitlines()[0])["sentence1"]
    rows = [
        {"source": "snow", "input": "元の日本語：\n今日は良い天気です。\n\nシンプルな日本語：", "output": "晴れです。"},
        {"source": "xlsum", "input": "記事：\n市の図書館が来月から開館時間を延長する。\n\n要約：", "output": "延長。"},
        {"source": "tydiqa", "input": f"写真の説明：{premise}\n\n何が写っていますか？", "output": "馬"},
    ]
    paths = RunPaths(root)
    paths.data_dir.mkdir(parents=True)
    paths.train_file.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return paths


def test_stage_writes_contamination_json(tmp_path: Path, shared: Path) -> None:
    paths = make_run(tmp_path / "run")
    questions = shared / "data" / "japanese-mt-bench" / "question.jsonl"
    config = load_params(SMOKE, [f"contamination.mt_bench_questions=[{questions}]", "contamination.n=10"])
    result = run_stage(config, paths)
    saved = read_json(paths.root / "contamination.json")
    assert saved == json.loads(json.dumps(result, ensure_ascii=False))
    names = [e["name"] for e in saved["eval_sets"]]
    assert names == ["jglue/jsquad", "jglue/jcommonsenseqa", "jglue/jnli", "jglue/marc_ja", "mt-bench/question"]
    jnli = saved["eval_sets"][2]
    premise = json.loads(JNLI.read_text(encoding="utf-8").splitlines()[0])["sentence1"]
    # the premise also appears as sentence2 of pair 1 (the fixture repeats pairs reversed, as the real data does)
    assert jnli["overlaps"] == {"0": len(premise), "1": len(premise)}
    assert jnli["examples"][0]["text"] == premise and jnli["examples"][0]["training"] == {
        "source": "data/train.jsonl",
        "row": 2,
    }
    assert saved["training"]["rows"] == 3 and saved["training"]["files"][0]["format"] == "jsonl"
    assert saved["n"] == 10 and saved["notes"] == []
    assert (paths.plots / "contamination.png").is_file()
    assert not get_stage("contamination").missing_outputs(paths, config)


def test_extra_training_files_and_clear_errors(tmp_path: Path) -> None:
    paths = make_run(tmp_path / "run")
    sft = tmp_path / "sft.jsonl"
    sft.write_text(json.dumps({"conversations": [{"from": "human", "value": "こんにちは"}]}, ensure_ascii=False) + "\n")
    config = load_params(
        SMOKE,
        [
            f"contamination.training_files=[{{path: {sft}, format: sharegpt, name: sft}}]",
            "contamination.run_data=false",
        ],
    )
    result = run_stage(config, paths)
    assert [f["name"] for f in result["training"]["files"]] == ["sft"]
    missing = load_params(SMOKE, [f"contamination.training_files=[{{path: {tmp_path / 'nope.jsonl'}}}]"])
    with pytest.raises(ParamsError, match=r"contamination.training_files.0.path: .*nope.jsonl does not exist"):
        check_config(missing)
    no_data = load_params(SMOKE)
    with pytest.raises(ContaminationDataError, match="run the data stage first"):
        run_stage(no_data, RunPaths(tmp_path / "empty"))
    hub = load_params(SMOKE, ["eval.data_dir=null"])
    with pytest.raises(ContaminationDataError, match=r"JGLUE left out: eval\.data_dir is null"):
        run_stage(hub, paths)


def test_cli_check(tmp_path: Path, shared: Path, capsys) -> None:
    paths = make_run(tmp_path / "run")
    out = tmp_path / "c.json"
    code = main(
        [
            "contamination", "check", "--train", str(paths.train_file), "--fields", "input,output",
            "--jglue-dir", str(FIXTURES / "jglue"),
            "--llm-jp-eval-dir", str(shared / "data" / "llm-jp-eval-1.1"), "--n", "12", "--out", str(out),
        ]
    )  # fmt: skip
    printed = capsys.readouterr().out
    assert code == 0 and "jglue/jnli" in printed and "llm-jp-eval/niilc" in printed
    assert read_json(out)["eval_sets"][2]["contaminated"] == 2
    assert main(["contamination", "check", "--train", str(paths.train_file)]) == 2
    assert "no evaluation sets" in capsys.readouterr().err
    assert main(["contamination", "check", "--train", str(paths.train_file), "--jglue-dir", str(FIXTURES)]) == 1
    assert "no JGLUE validation files" in capsys.readouterr().err
    assert (
        main(["contamination", "check", "--train", str(tmp_path / "x.jsonl"), "--jglue-dir", str(FIXTURES / "jglue")])
        == 1
    )
    assert "x.jsonl: file not found" in capsys.readouterr().err


@pytest.mark.slow
def test_notebook_12(tmp_path: Path) -> None:
    paths = make_run(tmp_path / "run")
    nb = execute_notebook(
        "12_contamination",
        paths.root / "12_contamination.ipynb",
        params_file=str(SMOKE),
        run_dir=str(paths.root),
        overrides="contamination.n=10",
    )
    assert read_json(paths.root / "contamination.json")["eval_sets"][2]["contaminated"] == 2
    outputs = code_outputs(nb)
    assert sum("image/png" in o.get("data", {}) for o in outputs) == 1
    html = "".join(o.get("data", {}).get("text/html", "") for o in outputs)
    assert "jglue/jnli" in html and "data/train.jsonl" in html
    assert "training rows" in "".join(o.get("text", "") for o in outputs)  # the run summary line


@pytest.mark.slow
def test_stx_run_with_contamination_after_the_data_stage(tmp_path: Path) -> None:
    """The STX smoke recipe with `contamination` in run.stages: the runner executes notebook 12 after the data
    stage, and a second run skips it (outputs present, params unchanged)."""
    from stxlib.runner import run_pipeline

    overrides = ["run.stages=[data, contamination]", "data.samples_per_source=10", "data.eval_size=6"]
    lines: list[str] = []
    paths = run_pipeline(SMOKE, run_dir=tmp_path / "run", overrides=overrides, echo=lines.append)
    info = read_json(paths.manifest)["stages"]["contamination"]
    assert info["status"] == "done" and info["html"] == "12_contamination.html"
    result = read_json(paths.root / "contamination.json")
    assert result["training"]["rows"] == 30 and len(result["eval_sets"]) == 4  # the four JGLUE fixture sets
    lines.clear()
    run_pipeline(SMOKE, run_dir=tmp_path / "run", overrides=overrides, echo=lines.append)
    assert any("[contamination] complete, skipped" in line for line in lines)
