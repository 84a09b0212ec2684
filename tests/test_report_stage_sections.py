"""Report sections of the phase-two stages (tokenizer, llm_jp_eval, mt_bench, preferences, contamination), built
from a synthetic run folder whose files the stages' own writers made; intervals on every delta; a missing or
damaged artifact never breaks the page."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from synthetic_stages import add_mt_bench, add_preferences, shisa_like_run

from stxlib.io import read_json, write_json
from stxlib.report import build_report, load_run
from stxlib.report.sections import SECTION_MODULES, stage_sections
from stxlib.stats import bootstrap_options, format_interval, jglue_intervals, llm_jp_eval_intervals
from stxlib.stats.llm_jp_eval import CATEGORIES

PHASE_TWO = ("tokenizer", "llm_jp_eval", "mt_bench", "preferences", "contamination")
INTERVAL = re.compile(r"[+−]?\d\.\d{3} \[[+−]?\d\.\d{3}, [+−]?\d\.\d{3}\]")


@pytest.fixture(scope="module")
def shisa_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return shisa_like_run(tmp_path_factory.mktemp("sections")).root


@pytest.fixture
def run_copy(shisa_run: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(shisa_run, tmp_path / shisa_run.name))


def _text(html: str) -> str:
    """The page's visible text, tags dropped (images removed first: their base64 holds no words)."""
    html = re.sub(r"<img[^>]*>", "", html)
    return re.sub(r"<[^>]+>", " ", html)


def test_every_phase_two_stage_has_a_section() -> None:
    assert set(PHASE_TWO) <= set(SECTION_MODULES)
    assert [s.stage for s in stage_sections(PHASE_TWO)] == list(PHASE_TWO)


def test_stats_categories_match_the_stage() -> None:
    from stxlib.llm_jp_eval.datasets import CATEGORIES as STAGE_CATEGORIES

    assert {k: tuple(v) for k, v in STAGE_CATEGORIES.items()} == CATEGORIES


def test_sections_render_with_tables_charts_and_intervals(shisa_run: Path) -> None:
    report = build_report(shisa_run)
    assert report.issues == []
    html = report.path.read_text(encoding="utf-8")
    text = _text(html)
    for title in ("Tokenizer efficiency", "llm-jp-eval 1.1", "Japanese MT-Bench", "Preferences", "contamination"):
        assert f"<h2>{title}" in html or title in text, title
    # charts the stages drew are embedded as they are (never re-drawn)
    for stem in ("tokenizer_efficiency", "llm_jp_eval", "mt_bench_categories", "contamination"):
        assert report.plots[stem].png == shisa_run / "plots" / f"{stem}.png"
    assert {"preferences_judge_strengths", "preferences_judge_winrate"} <= set(report.plots)
    assert html.count("<img ") >= 9
    # tokenizer: before/after the extension
    assert "Before and after the vocabulary extension" in text and "44.7%" in text and "1.81×" in text
    # llm-jp-eval: AVR and categories with intervals equal to the stats module's, base and fine-tuned side by side
    options = bootstrap_options(load_run(shisa_run).config.stats)
    expected = llm_jp_eval_intervals(shisa_run / "llm_jp_eval", "base", **options)["finetuned"]
    for key in ("AVR", "NLI", "jsts_pearson", "niilc_char_f1"):
        assert format_interval(expected[key], marker=" *") in text, key
    assert "AVR" in text and "Δ finetuned − base" in text
    # JGLUE: intervals from the samples files, on the headline scale (JSQuAD exact match / 100)
    jglue = jglue_intervals(shisa_run / "eval", "base", **options)["finetuned"]
    assert format_interval(jglue["jsquad-1.1-0.3"].scaled(0.01), marker=" *") in text
    assert format_interval(jglue["jnli-1.1-0.3"], marker=" *") in text
    assert "paired-bootstrap interval (1,000 resamples" in text
    # MT-Bench: score, n_unparsable, per category, leakage, an interval on the delta
    assert "n_unparsable" in text and "Per category" in text and "% JA (legacy)" in text
    assert re.search(r"\+1\.50 \[[+−]\d\.\d\d, [+−]\d\.\d\d\]", text)
    # preferences: W/L/D, strengths with intervals; contamination: share, longest, example
    assert "log-strength" in text and "8/2/0" in text and "a wins" in text
    assert "jglue/jsquad" in text and "6.0%" in text and "data/train.jsonl row 7" in text
    assert len(INTERVAL.findall(text)) >= 4 + 16  # JGLUE tasks, llm-jp-eval AVR + 4 categories + 11 scores


def test_missing_artifacts_are_noted_not_fatal(run_copy: Path) -> None:
    for path in ("tokenizer", "llm_jp_eval", "mt_bench", "preferences", "contamination.json", "plots"):
        target = run_copy / path
        shutil.rmtree(target) if target.is_dir() else target.unlink()
    manifest = read_json(run_copy / "manifest.json")
    for stage in PHASE_TWO:
        manifest["stages"].pop(stage)
    write_json(run_copy / "manifest.json", manifest)
    report = build_report(run_copy)
    assert report.serious_issues == []
    assert any("contamination.json" in i for i in report.issues)
    text = _text(report.path.read_text(encoding="utf-8"))
    assert "no tokenizer measurements" in text and "no contamination check" in text
    assert "no MT-Bench scores" in text and "no preference fit" in text and "no llm-jp-eval scores" in text


def test_damaged_artifacts_are_serious_but_the_page_still_builds(run_copy: Path) -> None:
    (run_copy / "contamination.json").write_text("{", encoding="utf-8")
    write_json(run_copy / "tokenizer" / "efficiency.json", {"results": [{"tokenizer": "x"}]})
    (run_copy / "llm_jp_eval" / "finetuned" / "per_sample.jsonl").write_text("not json\n", encoding="utf-8")
    report = build_report(run_copy, allow_issues=True)
    serious = "\n".join(report.serious_issues)
    assert "contamination.json: corrupt" in serious and "results[0] lacks" in serious
    assert any("llm_jp_eval" in i and "no intervals" in i for i in report.issues)
    text = _text(report.path.read_text(encoding="utf-8"))
    assert "no intervals:" in text  # listed on the page too
    assert "+0.1951" in text  # llm-jp-eval: the plain difference where the interval cannot be computed


def test_empty_judge_fit_is_shown_as_such(run_copy: Path) -> None:
    from stxlib.paths import RunPaths

    paths = RunPaths(run_copy)
    add_mt_bench(paths, unparsable=True)  # a tiny judge: every rating −1
    add_preferences(paths)
    assert read_json(run_copy / "preferences" / "btl.json")["models"] == []
    text = _text(build_report(run_copy).path.read_text(encoding="utf-8"))
    assert "Empty fit" in text and "pairs left out for an unparsable rating" in text
    assert "n/a" in text or "–" in text
