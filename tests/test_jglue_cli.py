"""`stx eval`: a real run on the fixtures, and clear errors for bad input."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import FIXTURES, run_stx

from stxlib.cli import build_parser, main
from stxlib.io import read_json, read_jsonl


def test_eval_is_registered() -> None:
    assert "eval" in build_parser()._subparsers._group_actions[0].choices


def test_stx_eval_on_fixtures(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run_stx(
        "eval", "--model", "stx-tiny", "--data-dir", str(FIXTURES / "jglue"),
        "--tasks", "jcommonsenseqa,marc_ja", "--num-fewshot", "3,3", "--limit", "4", "--batch-size", "2",
        "--dtype", "float32", "--threads", "1", "--out", str(out),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert f"wrote {out / 'results.json'}" in result.stdout and "acc_norm" in result.stdout
    results = read_json(out / "results.json")
    assert list(results["results"]) == ["jcommonsenseqa-1.1-0.3", "marc_ja-1.1-0.3"]
    assert results["config"]["torch_dtype"] == "float32" and results["config"]["batch_size"] == 2
    assert len(read_jsonl(out / "samples_marc_ja-1.1-0.3.jsonl")) == 4


@pytest.mark.parametrize(
    ("args", "message", "expected_code"),
    [  # usage errors (a bad option value) exit 2, like argparse's own
        (["--tasks", "jsquad,jglue"], "unknown JGLUE task 'jglue'", 2),
        (["--num-fewshot", "2,3"], "2 few-shot count(s) for 4 task(s)", 2),
        (["--model", "/no/such/model"], "model path not found: /no/such/model", 1),
        (["--adapter", "/no/such/adapter"], "adapter not found: /no/such/adapter", 1),
        (["--data-dir", "/no/such/jglue"], "JGLUE file not found: /no/such/jglue/jsquad-v1.1/valid-v1.1.json", 1),
    ],
)
def test_bad_input_is_a_clear_error(
    args: list[str], message: str, expected_code: int, capsys: pytest.CaptureFixture[str]
) -> None:
    options = {"--model": "stx-tiny", "--data-dir": str(FIXTURES / "jglue")}
    options.update(zip(args[::2], args[1::2], strict=True))
    argv = ["eval", *[part for option in options.items() for part in option]]
    code = main(argv)
    err = capsys.readouterr().err
    assert code == expected_code and message in err and err.startswith("stx: error:"), err
    assert "Traceback" not in err
