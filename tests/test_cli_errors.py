"""Errors say exactly what is wrong: usage errors exit 2, params errors in plain words with file, line and
key, model paths, data files (file:line, empty, full JSON message), an unequal take_all mix."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import FIXTURES, REPO, SMOKE

from stxlib.cli import build_parser, main
from stxlib.cli.eval_cmd import eval_config
from stxlib.config import ParamsError, load_params
from stxlib.data import DataSourceError, MixError, build_mix, load_all
from stxlib.data.stats import mix_stats
from stxlib.modeling import ModelLoadError, check_model_path


def exit_code(argv: list[str], capsys) -> tuple[int, str]:
    """`stx ARGV` in this process: its exit code and stderr (argparse's own errors raise SystemExit)."""
    try:
        code = main(argv)
    except SystemExit as stop:
        code = int(stop.code or 0)
    return code, capsys.readouterr().err


USAGE_ERRORS = {
    "unknown stage": (["run", str(SMOKE), "--stages", "data,training"], "unknown stage(s) training"),
    "no stage": (["run", str(SMOKE), "--stages", ","], "no stage named"),
    "params missing": (["mix", "params/nope.yaml"], "params file not found"),
    "params folder": (["mix", str(REPO / "params")], "is a folder, not a file"),
    "bad override": (["mix", str(SMOKE), "--set", "train.max_steps"], "not of the form key.path=value"),
    "bad params value": (["mix", str(SMOKE), "--set", "data.samples_per_source=0"], "data.samples_per_source"),
    "unknown task": (["eval", "--model", "stx-tiny", "--tasks", "jglue"], "--tasks: unknown JGLUE task"),
    "bad shots": (["eval", "--model", "stx-tiny", "--num-fewshot", "2,x"], "--num-fewshot: few-shot counts"),
    "report folder": (["report", "no/such/run"], "run folder no/such/run does not exist"),
    "compare folder": (["compare", str(SMOKE)], "is a file, not a run folder"),
    "unknown option": (["mix", str(SMOKE), "--bogus"], "unrecognized arguments"),
}


@pytest.mark.parametrize("case", list(USAGE_ERRORS))
def test_usage_errors_exit_2_with_the_reason(case: str, capsys) -> None:
    argv, expected = USAGE_ERRORS[case]
    code, err = exit_code(argv, capsys)
    assert code == 2, (case, err)
    assert expected in err, err


def test_params_errors_in_plain_words_with_file_line_and_key(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("run:\n  name: x\ndata:\n  samples_per_source: 0\n  split: C\n", encoding="utf-8")
    with pytest.raises(ParamsError) as caught:
        load_params(bad)
    msg = str(caught.value)
    assert "constrained-int" not in msg and "literal[" not in msg
    assert (
        f"data.samples_per_source: Input should be greater than or equal to 1, or 'all' (got 0) [{bad}, line 4]" in msg
    )
    assert f"data.split: Input should be 'A' or 'B' (got 'C') [{bad}, line 5]" in msg
    with pytest.raises(ParamsError, match=r"\[--set data.samples_per_source=0\]"):
        load_params(SMOKE, ["data.samples_per_source=0"])
    broken = tmp_path / "broken.yaml"
    broken.write_text("run:\n  name: [a\n", encoding="utf-8")
    with pytest.raises(ParamsError) as caught:
        load_params(broken)
    msg = str(caught.value)
    assert "<unicode string>" not in msg and "<stream end>" not in msg
    assert "line 3, column 1: expected ',' or ']', but got the end of the file" in msg
    assert "flow sequence that starts at line 2, column 9" in msg


def test_each_task_keeps_its_own_shot_count() -> None:
    args = build_parser().parse_args(["eval", "--model", "stx-tiny", "--tasks", "jnli"])
    assert eval_config(args, "x").eval.num_fewshot == [3]
    args = build_parser().parse_args(["eval", "--model", "stx-tiny", "--tasks", "jsquad,marc_ja"])
    assert eval_config(args, "x").eval.num_fewshot == [2, 3]
    args = build_parser().parse_args(["eval", "--model", "stx-tiny", "--tasks", "jnli", "--num-fewshot", "0"])
    assert eval_config(args, "x").eval.num_fewshot == [0]
    assert load_params(SMOKE, ["eval.tasks=[jsquad, jnli]"]).eval.num_fewshot == [2, 3]


def test_model_paths_say_what_is_wrong(tmp_path: Path) -> None:
    with pytest.raises(ModelLoadError, match=r"model path .*nowhere does not exist"):
        check_model_path(str(tmp_path / "nowhere"))
    (tmp_path / "weights.bin").write_bytes(b"x")
    with pytest.raises(ModelLoadError, match="is a file, not a folder"):
        check_model_path(str(tmp_path / "weights.bin"))
    with pytest.raises(ModelLoadError, match=r"the folder holds no config\.json, so it is not a saved model"):
        check_model_path(str(tmp_path))
    with pytest.raises(ModelLoadError, match=r"holds no tokenizer_config\.json or tokenizer\.json"):
        check_model_path(str(tmp_path), "tokenizer")


def test_a_hub_id_offline_says_the_hub_is_unreachable() -> None:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(REPO)}
    argv = ["eval", "--model", "stx-test/no-such-model", "--data-dir", str(FIXTURES / "jglue"), "--limit", "1"]
    result = subprocess.run(
        [sys.executable, "-m", "stxlib.cli", *argv], capture_output=True, text=True, timeout=300, env=env
    )
    assert result.returncode == 1
    assert "the Hugging Face Hub is unreachable from here" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


@pytest.fixture(scope="module")
def smoke():
    return load_params(SMOKE)


def with_snow_file(smoke, path: Path, **update):
    sources = dict(smoke.data.sources)
    sources["snow"] = sources["snow"].model_copy(update={"train_files": [str(path)]})
    return smoke.data.model_copy(update={"sources": sources, **update})


def test_a_record_without_the_field_is_named_by_file_and_line(smoke, tmp_path: Path) -> None:
    rows = [{"original_ja": f"文{i}", "simplified_ja": f"ぶん{i}"} for i in range(4)]
    del rows[2]["simplified_ja"]
    path = tmp_path / "snow.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    data = with_snow_file(smoke, path, samples_per_source=3, eval_size=3)
    with pytest.raises(MixError, match=rf"source 'snow', {path}:3: target 'simplified_ja': no field"):
        build_mix(data, seed=42)


def test_empty_and_broken_files_say_so(smoke, tmp_path: Path) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n", encoding="utf-8")
    with pytest.raises(DataSourceError, match=rf"{empty} is empty: it holds no records"):
        load_all(with_snow_file(smoke, empty))
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"original_ja": "a", oops}\n', encoding="utf-8")
    with pytest.raises(DataSourceError, match=r"broken.jsonl:1: not valid JSON \(.*: line 1 column 22 \(char 21\)\)"):
        load_all(with_snow_file(smoke, broken))
    with pytest.raises(DataSourceError, match="is a folder, not a data file"):
        load_all(with_snow_file(smoke, tmp_path))


def test_take_all_warns_about_an_unequal_mix(smoke) -> None:
    loaded = load_all(smoke.data)
    data = smoke.data.model_copy(update={"samples_per_source": 55, "on_short_source": "take_all"})
    mix = build_mix(data, seed=42, loaded=loaded)
    sizes = {name: info["train"] for name, info in mix.counts.items()}
    assert len(set(sizes.values())) > 1, sizes
    assert any("NOT equally represented" in w for w in mix.warnings)
    assert mix.warnings[-1].startswith("unequal mix: train rows per source are")
    lengths = {
        split: ([1] * len(rows), [1] * len(rows))
        for split, rows in (("train", mix.train), ("validation", mix.validation))
    }
    assert mix_stats(mix, lengths, "stx-tiny", 42, data)["warnings"] == mix.warnings
    assert build_mix(smoke.data, seed=42, loaded=loaded).warnings == []
