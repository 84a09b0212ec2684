"""The `stats`, `preferences` and `contamination` params sections: defaults, paths, clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import SMOKE

from stxlib.config import ParamsError, load_params
from stxlib.stats import bootstrap_options


def test_defaults() -> None:
    config = load_params(SMOKE)
    assert bootstrap_options(config.stats) == {"resamples": 1000, "seed": 0, "confidence": 0.95}
    assert bootstrap_options() == bootstrap_options(config.stats)
    assert (config.preferences.alpha, config.preferences.draws, config.preferences.turn) == (0.01, "drop", 1)
    assert (config.contamination.n, config.contamination.run_data, config.contamination.examples) == (20, True, 3)


def test_paths_are_resolved_against_the_params_file(tmp_path: Path) -> None:
    params = tmp_path / "exp" / "p.yaml"
    params.parent.mkdir()
    params.write_text(
        "contamination:\n"
        "  training_files: [{path: data/sft.jsonl, format: sharegpt}]\n"
        "  llm_jp_eval_dir: ../llm\n"
        "  mt_bench_questions: [q.jsonl]\n"
        "preferences:\n"
        "  questions: q.jsonl\n"
        "  answers: {t07: answers/t07.jsonl}\n",
        encoding="utf-8",
    )
    config = load_params(params)
    base = params.parent.resolve()
    assert config.contamination.training_files[0].path == str(base / "data" / "sft.jsonl")
    assert config.contamination.llm_jp_eval_dir == str(tmp_path.resolve() / "llm")
    assert config.contamination.mt_bench_questions == [str(base / "q.jsonl")]
    assert config.preferences.questions == str(base / "q.jsonl")
    assert config.preferences.answers == {"t07": str(base / "answers" / "t07.jsonl")}


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("stats.resamples=0", "stats.resamples"),
        ("stats.confidence=1.5", "stats.confidence"),
        ("preferences.draws=tie", "preferences.draws"),
        ("preferences.alpha=-1", "preferences.alpha"),
        ("preferences.labels=[a, a]", "labels must be unique"),
        ("contamination.n=2", "contamination.n"),
        ("contamination.training_files=[{path: x, format: csv}]", "contamination.training_files.0.format"),
        ("contamination.ngram=13", "contamination.ngram: unknown key"),
    ],
)
def test_bad_values_name_the_key(override: str, message: str) -> None:
    with pytest.raises(ParamsError, match=message):
        load_params(SMOKE, [override])
