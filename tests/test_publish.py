"""`stx publish`: the upload folder of a synthetic run (a real LoRA adapter of the tiny model, the card's
1000-step history, jp-stable results): model-card front matter and sections, numbers equal to the run's files,
the licence rule, the loss-curve image; the upload mocked only at `huggingface_hub.HfApi`."""

from __future__ import annotations

import ast
import json
import re
import shutil
from pathlib import Path
from typing import ClassVar

import huggingface_hub
import pytest
import yaml
from helpers import PNG_MAGIC, make_adapter, png_size
from synthetic_run import make_run

from stxlib.cli import main
from stxlib.io import read_json, write_jsonl
from stxlib.publish import DATA_LICENSES, choose_license, read_run
from stxlib.publish.licenses import DataSource
from stxlib.published import CARD_RESULTS
from stxlib.stats import jglue_delta

BASE = "Open-Orca/OpenOrcaxOpenChat-Preview2-13B"
REPO_ID = "someone/stx-test"
SECRET = "hf_NotARealTokenButSecret0123456789"


@pytest.fixture(scope="module")
def adapter(tmp_path_factory, tiny_model_dir) -> Path:
    """A real peft adapter of the tiny model, recorded against the card's base as training on it would be."""
    out = make_adapter(tiny_model_dir, tmp_path_factory.mktemp("adapter") / "best_adapter")
    config = read_json(out / "adapter_config.json")
    config["base_model_name_or_path"] = BASE
    (out / "adapter_config.json").write_text(json.dumps(config))
    return out


def samples(path: Path, accs: list[int]) -> None:
    write_jsonl(path, [{"doc_id": i, "prompt": f"p{i}", "acc": a, "acc_norm": a} for i, a in enumerate(accs)])


@pytest.fixture
def run_dir(tmp_path: Path, adapter: Path) -> Path:
    paths = make_run(tmp_path, overrides=[f"model.name_or_path={BASE}"])
    shutil.copytree(adapter, paths.best_adapter)
    samples(paths.eval_dir("base") / "samples_jnli-1.1-0.3.jsonl", [1, 0, 1, 0, 0, 1, 0, 0, 1, 0] * 3)
    samples(paths.eval_dir("finetuned") / "samples_jnli-1.1-0.3.jsonl", [1, 1, 1, 0, 1, 1, 0, 1, 1, 1] * 3)
    return paths.root


def split_card(text: str) -> tuple[dict, str]:
    match = re.match(r"^---\n(.*?)\n---\n(.*)$", text, re.S)
    assert match, "the card starts with YAML front matter between --- lines"
    return yaml.safe_load(match.group(1)), match.group(2)


def table_rows(body: str, heading: str) -> list[dict[str, str]]:
    """The first Markdown table after `heading`, as header -> cell dicts."""
    section = body.split(heading, 1)[1]
    table = re.search(r"(?m)^\|.*(?:\n\|.*)*", section)
    assert table, f"no table after {heading!r}"
    lines = table.group(0).splitlines()
    cells = [[c.strip() for c in re.split(r"(?<!\\)\|", line.strip()[1:-1])] for line in lines]
    return [dict(zip(cells[0], row, strict=True)) for row in cells[2:]]


def test_dry_run_writes_the_folder_and_a_card_that_matches_the_run(run_dir: Path, capsys) -> None:
    assert main(["publish", str(run_dir), "--repo-id", REPO_ID, "--dry-run"]) == 0
    assert "dry run: nothing uploaded" in capsys.readouterr().out
    folder = run_dir / "publish"
    files = sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())
    assert files == sorted(
        ["README.md", "adapter_config.json", "adapter_model.safetensors", "loss_curves.png", "stx_params.yaml"]
    )
    for name in ("adapter_config.json", "adapter_model.safetensors"):
        assert (folder / name).read_bytes() == (run_dir / "train" / "best_adapter" / name).read_bytes()

    meta, body = split_card((folder / "README.md").read_text(encoding="utf-8"))
    assert meta["base_model"] == BASE and meta["language"] == ["ja"] and meta["library_name"] == "peft"
    hub_ids = ["SNOW-NLP/snow_simplified_japanese_corpus", "khalidalt/tydiqa-goldp", "csebuetnlp/xlsum"]
    assert meta["datasets"] == hub_ids
    assert meta["license"] == "cc-by-nc-sa-4.0"  # XL-Sum is CC BY-NC-SA 4.0
    assert "non-commercial use only" in body and {"stx", "qlora", "lora"} <= set(meta["tags"])
    assert [h for h in re.findall(r"^## (.+)$", body, re.M)] == [
        "Training data",
        "Training",
        "Evaluation: JGLUE (jp-stable prompts 0.3)",
        "How to use",
        "Reproduce",
    ]

    mix = read_json(run_dir / "data" / "mix_stats.json")
    data = {r["source"]: r for r in table_rows(body, "## Training data")}
    assert {s: int(r["train rows"].replace(",", "")) for s, r in data.items()} == {
        s: v["train"] for s, v in mix["sources"].items()
    }
    assert f"Equal samples per source ({mix['samples_per_source']:,})" in body
    assert data["xlsum"]["licence"] == "cc-by-nc-sa-4.0" and "記事：" in data["xlsum"]["input template"]

    summary = read_json(run_dir / "train" / "train_summary.json")
    results = {r["field"]: r["value"] for r in table_rows(body, "### Results")}
    assert int(results["best_step"]) == summary["best_step"]
    assert float(results["best_eval_loss"]) == pytest.approx(summary["best_eval_loss"], abs=5e-5)
    settings = {r["setting"]: r["value"] for r in table_rows(body, "## Training\n")}
    assert float(settings["train.learning_rate"]) == pytest.approx(2e-3) and settings["lora.r"] == "8"

    jglue = {r["task"]: r for r in table_rows(body, "## Evaluation: JGLUE")}
    for label in ("base", "finetuned"):
        result = read_json(run_dir / "eval" / label / "results.json")
        for task, entry in result["headline"].items():
            assert jglue[task][label].startswith(f"{entry['value']:.4f}")
        assert (
            float(jglue[task][f"published: {BASE if label == 'base' else 'lightblue/openorca_stx'}"])
            == (CARD_RESULTS[label][task])
        )
    stderr = read_json(run_dir / "eval" / "finetuned" / "results.json")["results"]["jnli-1.1-0.3"]["acc_stderr"]
    assert jglue["jnli-1.1-0.3"]["finetuned"].endswith(f"± {stderr:.4f}")
    interval = jglue_delta(run_dir / "eval" / "base", run_dir / "eval" / "finetuned", "jnli-1.1-0.3")
    assert jglue["jnli-1.1-0.3"]["Δ finetuned − base [95% CI]"] == str(interval)
    assert jglue["jsquad-1.1-0.3"]["Δ finetuned − base [95% CI]"] == "–"  # no samples for that task

    assert "![Loss curves](loss_curves.png)" in body
    assert (folder / "loss_curves.png").read_bytes()[:8] == PNG_MAGIC and png_size(folder / "loss_curves.png")[0] > 400
    code = body.split("```python\n", 1)[1].split("```", 1)[0]
    ast.parse(code)  # the usage snippet is valid Python
    assert f'PeftModel.from_pretrained(model, "{REPO_ID}")' in code and f'"{BASE}"' in code
    assert 'context + "\\n\\n" + question' in code and "max_new_tokens=128" in code


def test_the_usage_snippet_takes_a_closed_qa_row_of_the_run(run_dir: Path) -> None:
    row = {"source": "tydiqa", "input": "東京は日本の首都である。\n\n日本の首都は？", "output": "東京"}
    write_jsonl(run_dir / "data" / "validation.jsonl", [{"source": "snow", "input": "x", "output": "y"}, row])
    assert main(["publish", str(run_dir), "--repo-id", REPO_ID, "--dry-run", "--out", str(run_dir / "up")]) == 0
    code = (run_dir / "up" / "README.md").read_text(encoding="utf-8").split("```python\n", 1)[1]
    assert "context = '東京は日本の首都である。'" in code and "question = '日本の首都は？'" in code


def test_licence_rule() -> None:
    permissive = [DataSource("snow", "SNOW-NLP/snow_simplified_japanese_corpus"), DataSource("tydiqa", None)]
    choice = choose_license(permissive)
    assert (choice.license, choice.non_commercial, choice.unknown) == ("other", False, ())
    nc = choose_license([*permissive, DataSource("xlsum", "csebuetnlp/xlsum")])
    assert (nc.license, nc.non_commercial) == ("cc-by-nc-sa-4.0", True) and "non-commercial" in nc.reason
    unknown = choose_license([*permissive, DataSource("mine", "me/private-set")])
    assert unknown.unknown == ("mine",) and "check it before sharing" in unknown.reason
    assert choose_license(permissive, "apache-2.0").license == "apache-2.0"
    assert DATA_LICENSES["csebuetnlp/xlsum"] == "cc-by-nc-sa-4.0"


class FakeHfApi:
    """`huggingface_hub.HfApi` at the boundary: records the calls and the folder's files at upload time."""

    calls: ClassVar[list[tuple[str, dict]]] = []

    def __init__(self, *args, **kwargs) -> None:
        assert not args and not kwargs, "stx must not hand a token (or anything) to HfApi"

    def create_repo(self, repo_id, **kwargs):
        self.calls.append(("create_repo", {"repo_id": repo_id, **kwargs}))
        return f"https://huggingface.co/{repo_id}"

    def upload_folder(self, **kwargs):
        root = Path(kwargs["folder_path"])
        kwargs["files"] = sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())
        self.calls.append(("upload_folder", kwargs))
        return type("CommitInfo", (), {"commit_url": f"https://huggingface.co/{kwargs['repo_id']}/commit/abc"})()


def test_upload_creates_the_repo_and_sends_exactly_the_folder(run_dir: Path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("HF_TOKEN", SECRET)
    monkeypatch.setattr(huggingface_hub, "HfApi", FakeHfApi)
    monkeypatch.setattr(FakeHfApi, "calls", [])
    assert main(["publish", str(run_dir), "--repo-id", REPO_ID, "--private"]) == 0
    assert "uploaded: https://huggingface.co/someone/stx-test/commit/abc" in capsys.readouterr().out
    (create_name, create), (upload_name, upload) = FakeHfApi.calls
    assert create_name == "create_repo" and create == {
        "repo_id": REPO_ID,
        "repo_type": "model",
        "private": True,
        "exist_ok": True,
    }
    folder = run_dir / "publish"
    assert upload_name == "upload_folder" and upload["repo_id"] == REPO_ID and upload["repo_type"] == "model"
    assert Path(upload["folder_path"]) == folder
    assert upload["files"] == sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())
    assert "token" not in upload and "token" not in create
    leaked = [p for p in run_dir.rglob("*") if p.is_file() and SECRET.encode() in p.read_bytes()]
    assert not leaked, f"the token was written to {leaked}"


def test_upload_without_a_token_says_how_to_log_in(run_dir: Path, monkeypatch, capsys) -> None:
    monkeypatch.setattr(huggingface_hub, "get_token", lambda: None)
    monkeypatch.setattr(huggingface_hub, "HfApi", FakeHfApi)
    monkeypatch.setattr(FakeHfApi, "calls", [])
    assert main(["publish", str(run_dir), "--repo-id", REPO_ID]) == 1
    assert "hf auth login" in capsys.readouterr().err and FakeHfApi.calls == []
    assert (run_dir / "publish" / "README.md").is_file()  # the folder is kept for a later try


def test_bad_input_is_refused_clearly(tmp_path: Path, run_dir: Path, capsys) -> None:
    assert main(["publish", str(tmp_path / "nothing"), "--repo-id", REPO_ID, "--dry-run"]) == 1
    assert "not an stx run folder" in capsys.readouterr().err
    assert main(["publish", str(run_dir), "--repo-id", "no-slash", "--dry-run"]) == 1
    assert "USER/NAME" in capsys.readouterr().err
    shutil.rmtree(run_dir / "train" / "best_adapter")
    assert main(["publish", str(run_dir), "--repo-id", REPO_ID, "--dry-run"]) == 1
    assert "run the training stage first" in capsys.readouterr().err


def test_a_shisa_like_run_publishes_its_last_trained_adapter(tmp_path: Path, adapter: Path) -> None:
    paths = make_run(tmp_path, "shisa", stages=())
    for stage in ("sft", "dpo"):
        shutil.copytree(adapter, paths.training(stage).best_adapter)
    history = [{"loss": 0.7, "step": 1, "epoch": 0.1}, {"eval_loss": 0.6, "step": 1, "epoch": 0.1}]
    (paths.training("dpo").log_history).write_text(json.dumps(history))
    run = read_run(paths.root)
    assert run.model.stage == "dpo" and run.model.folder == paths.training("dpo").best_adapter
    assert main(["publish", str(paths.root), "--repo-id", REPO_ID, "--dry-run"]) == 0
    meta, body = split_card((paths.root / "publish" / "README.md").read_text(encoding="utf-8"))
    assert meta["base_model"] == BASE and "dpo" in meta["tags"] and "## Evaluation" not in body
    assert (paths.root / "publish" / "loss_curves.png").read_bytes()[:8] == PNG_MAGIC


@pytest.mark.slow
def test_merged_puts_the_bf16_model_at_the_root(tmp_path: Path, tiny_model_dir: Path) -> None:
    from transformers import AutoModelForCausalLM

    paths = make_run(tmp_path)
    make_adapter(tiny_model_dir, paths.best_adapter)  # recorded against the tiny model's folder
    assert main(["publish", str(paths.root), "--repo-id", REPO_ID, "--dry-run", "--merged"]) == 0
    folder = paths.root / "publish"
    assert (folder / "adapter" / "adapter_model.safetensors").is_file() and (folder / "config.json").is_file()
    meta, body = split_card((folder / "README.md").read_text(encoding="utf-8"))
    assert meta["library_name"] == "transformers" and "merged bf16 model" in body
    assert "base_model" not in meta  # stx-tiny and a local folder are no hub ids
    assert f'AutoModelForCausalLM.from_pretrained("{REPO_ID}"' in body
    model = AutoModelForCausalLM.from_pretrained(folder)
    assert str(model.dtype) == "torch.bfloat16"
