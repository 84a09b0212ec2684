"""`stx llm-jp-eval score|run`: the logged scores reproduced from the command line, clear errors."""

from __future__ import annotations

import json

import pytest
from engine_doubles import BackendFactory

from stxlib.cli import main
from stxlib.io import read_json
from stxlib.llm_jp_eval import runner

LOGS = ("shisa-mega-dpo-7b-v1.1", "mistral-7b-v0.1", "calm2-7b-chat")


@pytest.mark.parametrize("model", LOGS)
def test_score_writes_the_logged_score_eval(shared, tmp_path, capsys, model) -> None:
    folder = shared / "data" / "golden" / "llm-jp-eval-1.1-logs" / model
    out = tmp_path / "score_eval.json"
    per_sample = tmp_path / "per_sample.jsonl"
    code = main(
        ["llm-jp-eval", "score", str(folder / "output_eval.json"), "--out", str(out), "--per-sample", str(per_sample)]
    )
    assert code == 0
    assert out.read_bytes() == (folder / "score_eval.json").read_bytes()
    assert len(per_sample.read_text(encoding="utf-8").splitlines()) == 1000
    printed = capsys.readouterr().out
    logged = json.loads((folder / "score_eval.json").read_text(encoding="utf-8"))
    assert all(key in printed and value in printed for key, value in logged.items() if key != "csv_line")


def _log(tmp_path, output) -> str:
    path = tmp_path / "output_eval.json"
    path.write_text(json.dumps(output, ensure_ascii=False), encoding="utf-8")
    return str(path)


def test_score_refuses_an_unknown_dataset(tmp_path, capsys) -> None:
    path = _log(tmp_path, {"jamp": [{"pred": "a", "gold": "a"}], "mawps": [{"pred": "1", "gold": "1"}]})
    assert main(["llm-jp-eval", "score", path]) == 1
    err = capsys.readouterr().err
    assert "dataset 'mawps' is not an llm-jp-eval 1.1 dataset; choose from jamp, janli," in err


def test_score_names_a_record_without_gold(tmp_path, capsys) -> None:
    path = _log(tmp_path, {"jamp": [{"pred": "a", "gold": "a"}, {"prompt": "p", "pred": "b"}]})
    assert main(["llm-jp-eval", "score", path]) == 1
    assert "jamp[1] field 'gold' is missing" in capsys.readouterr().err
    assert main(["llm-jp-eval", "score", str(tmp_path / "none.json")]) == 1
    assert "output_eval.json not found" in capsys.readouterr().err


def test_run_names_a_missing_model_or_adapter_folder(tmp_path, capsys) -> None:
    out = ["--datasets", "jamp", "--out", str(tmp_path / "o")]
    assert main(["llm-jp-eval", "run", "--model", str(tmp_path / "no-model"), *out]) == 1
    assert str(tmp_path / "no-model") in capsys.readouterr().err
    assert main(["llm-jp-eval", "run", "--model", "stx-tiny", "--adapter", str(tmp_path / "no-adapter"), *out]) == 1
    assert str(tmp_path / "no-adapter") in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_run_writes_the_files(tmp_path, capsys, monkeypatch, shared) -> None:
    factory = BackendFactory()
    monkeypatch.setattr(runner, "open_local_backend", factory)
    out = tmp_path / "out"
    data = shared / "data" / "llm-jp-eval-1.1"  # holds test/<dataset>.json
    argv = ["llm-jp-eval", "run", "--model", "stx-tiny", "--data-dir", str(data), "--datasets", "jsem,jamp"]
    options = ["--limit", "4", "--shisa-bos", "--batch-size", "2", "--decoding", "new_tokens", "--out", str(out)]
    assert main([*argv, *options]) == 0  # new_tokens: the scripted backend returns text only
    printed = capsys.readouterr().out
    assert "jamp_exact_match" in printed and "wrote" in printed and "warning" not in printed
    output = read_json(out / "output_eval.json")
    assert list(output) == ["jamp", "jsem"] and all(len(v) == 4 for v in output.values())
    logs = shared / "data" / "golden" / "llm-jp-eval-1.1-logs"
    logged = read_json(logs / "shisa-mega-dpo-7b-v1.1" / "output_eval.json")
    assert output["jamp"][0]["prompt"] == logged["jamp"][0]["prompt"]  # Shisa's prompt, from the real files
    assert (factory.opened[0][0].model, factory.opened[0][1]) == ("stx-tiny", 2)
    info = read_json(out / "run_info.json")
    assert info["shisa_bos"] is True and info["decoding"] == "new_tokens" and info["label"] == "stx-tiny"


def test_run_rejects_an_unknown_dataset(tmp_path, capsys) -> None:
    assert main(["llm-jp-eval", "run", "--model", "stx-tiny", "--datasets", "jamp,xnli", "--out", str(tmp_path)]) == 1
    assert "'xnli' is not an llm-jp-eval 1.1 dataset" in capsys.readouterr().err
