"""Data mixing on the fixture datasets: counts, split options, determinism, errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import SMOKE, assert_svg, png_size

from stxlib.config import load_params
from stxlib.data import MixError, build_mix, load_all, run_stage
from stxlib.io import read_json, read_jsonl
from stxlib.paths import RunPaths


@pytest.fixture(scope="module")
def smoke():
    return load_params(SMOKE)


@pytest.fixture(scope="module")
def loaded(smoke):
    return load_all(smoke.data)


def test_fixture_sources_have_the_real_schemas(loaded) -> None:
    assert {"ID", "original_ja", "simplified_ja", "original_en"} <= set(loaded["snow"].train[0])
    assert loaded["snow"].validation is None  # SNOW has no validation split
    assert {"passage_text", "question_text", "answers", "document_title"} <= set(loaded["tydiqa"].train[0])
    assert {"id", "url", "title", "summary", "text"} <= set(loaded["xlsum"].train[0])
    for rows in loaded.values():
        assert len(rows.train) >= 40


def test_option_a_counts_and_disjoint_validation(smoke, loaded) -> None:
    mix = build_mix(smoke.data, seed=42, loaded=loaded)
    n, v = smoke.data.samples_per_source, smoke.data.eval_size
    assert len(mix.train) == 3 * n and len(mix.validation) == v
    for name in ("snow", "tydiqa", "xlsum"):
        assert sum(r["source"] == name for r in mix.train) == n
        assert sum(r["source"] == name for r in mix.validation) == v // 3
    assert mix.counts["snow"]["validation_from"] == "held out from train"
    assert mix.counts["xlsum"]["validation_from"] == "validation split"
    # validation never repeats a training row
    assert not {(r["input"], r["output"]) for r in mix.validation} & {(r["input"], r["output"]) for r in mix.train}
    assert all(set(r) == {"source", "input", "output"} for r in mix.train)
    assert mix.train != sorted(mix.train, key=lambda r: r["source"]), "sources are shuffled together"


def test_option_b_is_stock_qlora(smoke, loaded) -> None:
    data = smoke.data.model_copy(update={"split": "B", "eval_size": 10})
    mix = build_mix(data, seed=42, loaded=loaded)
    total = 3 * smoke.data.samples_per_source
    assert mix.discarded == total - int(total * 0.9)  # datasets rounds the 10 % test part up
    assert len(mix.validation) == 10
    assert len(mix.train) + len(mix.validation) + mix.discarded == total


def test_counts_larger_than_a_source(smoke, loaded) -> None:
    too_many = smoke.data.model_copy(update={"samples_per_source": 1000})
    with pytest.raises(MixError, match="asked for 1000 rows but only"):
        build_mix(too_many, seed=1, loaded=loaded)
    take_all = smoke.data.model_copy(update={"samples_per_source": 1000, "on_short_source": "take_all"})
    mix = build_mix(take_all, seed=1, loaded=loaded)
    assert mix.counts["xlsum"]["train"] == len(loaded["xlsum"].train)
    everything = smoke.data.model_copy(update={"samples_per_source": "all"})
    mix = build_mix(everything, seed=1, loaded=loaded)
    snow_held = mix.counts["snow"]["validation"]
    assert mix.counts["snow"]["train"] == len(loaded["snow"].train) - snow_held
    with pytest.raises(MixError, match="validation"):
        build_mix(smoke.data.model_copy(update={"eval_size": 999}), seed=1, loaded=loaded)


def test_bad_template_names_the_source(smoke, loaded) -> None:
    sources = dict(smoke.data.sources)
    sources["xlsum"] = sources["xlsum"].model_copy(update={"template": "記事：\n{article_text}\n\n要約："})
    with pytest.raises(MixError, match=r"source 'xlsum'.*\{article_text\}"):
        build_mix(smoke.data.model_copy(update={"sources": sources}), seed=1, loaded=loaded)


def files_of(run: Path) -> dict[str, bytes]:
    return {name: (run / "data" / name).read_bytes() for name in ("train.jsonl", "validation.jsonl", "mix_stats.json")}


def test_same_seed_gives_byte_identical_files(tmp_path: Path) -> None:
    a, b, c = (RunPaths(tmp_path / x) for x in "abc")
    run_stage(load_params(SMOKE), a)
    run_stage(load_params(SMOKE), b)
    run_stage(load_params(SMOKE, ["run.seed=7"]), c)
    assert files_of(a.root) == files_of(b.root)
    assert files_of(a.root)["train.jsonl"] != files_of(c.root)["train.jsonl"]
    assert read_jsonl(a.train_file) != read_jsonl(c.train_file)


def test_mix_stats_content(tmp_path: Path) -> None:
    paths = RunPaths(tmp_path / "run")
    cfg = load_params(SMOKE, ["data.source_max_len=64", "data.target_max_len=8"])
    result = run_stage(cfg, paths)
    stats = result.stats
    assert read_json(paths.mix_stats) == stats
    # the stage draws its own chart (the report embeds it and never re-tokenises)
    assert result.figures == [paths.plots / "data_mix.png", paths.plots / "data_mix.svg"]
    assert png_size(result.png)[0] > 1500
    assert_svg(paths.plots / "data_mix.svg")
    assert stats["totals"] == {"train": 120, "validation": 24, "discarded": 0}
    train = stats["lengths"]["train"]
    assert set(train) == {"snow", "tydiqa", "xlsum", "all"}
    assert train["all"]["rows"] == 120
    # long XL-Sum articles must exceed 64 tokens; SNOW sentences must not
    assert train["xlsum"]["source_truncated"] > 0.9
    assert train["snow"]["source_tokens"]["max"] > train["snow"]["source_tokens"]["min"] > 0
    assert 0 <= train["tydiqa"]["target_truncated"] <= 1
    assert train["snow"]["input_chars"]["mean"] > train["snow"]["output_chars"]["mean"] / 2
