"""report.html from synthetic run folders: headline numbers, deltas, card values, embedded images,
working relative links, escaping, partial and damaged runs."""

from __future__ import annotations

import base64
import json
import os
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote

import pytest
from test_plots_loss_curves import png_size
from test_report_synthetic import BASE_RESULTS, FINETUNED_RESULTS, make_run

from stxlib.published import CARD_RESULTS
from stxlib.report import ReportIncompleteError, RunFolderError, build_report, load_run

# Tokenising the rows for the data-mix histograms is tested once; elsewhere the stats summary is enough.
FAST = ["report.data_mix_histograms=false"]


class PageLinks(HTMLParser):
    """Every href and src of a page, and the tags used."""

    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.srcs: list[str] = []
        self.tags: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        for name, value in attrs:
            if name == "href" and value is not None:
                self.hrefs.append(value)
            if name == "src" and value is not None:
                self.srcs.append(value)


def check_self_contained(page: Path) -> PageLinks:
    """No external resources, every image embedded and decodable, every link a relative file that exists."""
    parser = PageLinks()
    parser.feed(page.read_text(encoding="utf-8"))
    assert not parser.tags & {"script", "link", "iframe"}, parser.tags
    for src in parser.srcs:
        assert src.startswith("data:image/png;base64,"), src[:60]
        data = base64.b64decode(src.split(",", 1)[1])
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
    for href in parser.hrefs:
        assert "://" not in href and not href.startswith("/"), href
        target = page.parent / unquote(href.split("#", 1)[0])
        assert target.is_file(), f"broken link {href!r} in {page.name}"
    return parser


def pct(value: float) -> str:
    return f"{value:.3f}"


def test_full_run_report_has_headline_numbers_deltas_card_and_images(tmp_path: Path) -> None:
    paths = make_run(tmp_path, overrides=FAST)
    report = build_report(paths.root)
    assert report.path == paths.report and report.issues == []  # a complete run has no issues
    text = paths.report.read_text(encoding="utf-8")
    parser = check_self_contained(paths.report)
    assert len(parser.srcs) == 3  # loss curves, JGLUE comparison, data mix
    for task, metrics in BASE_RESULTS.items():
        base = metrics["exact_match"] / 100 if "exact_match" in metrics else metrics["acc"]
        tuned = FINETUNED_RESULTS[task].get("acc", FINETUNED_RESULTS[task].get("exact_match", 0) / 100)
        assert f">{pct(base)}<" in text and f">{pct(tuned)}<" in text
        assert f">{tuned - base:+.3f}<" in text  # the delta base -> finetuned
        assert f">{pct(CARD_RESULTS['base'][task])}<" in text and f">{pct(CARD_RESULTS['finetuned'][task])}<" in text
    summary = json.loads(paths.train_summary.read_text())
    assert f">{summary['best_step']}<" in text and f">{summary['best_eval_loss']:.4f}<" in text
    assert ">4,389<" in text and ">13,167<" in text  # data-mix table
    assert ">13,649 of 13,649<" in text  # evaluated documents of the full JGLUE v1.1 validation sets
    assert "NVIDIA A100-SXM4-80GB" in text and "0123456789ab" in text  # environment from the manifest
    for stem in ("01_data_mixing", "02_qlora_training", "03_jglue_eval"):
        assert f'href="{stem}.html"' in text
    for name in (
        "loss_curves.png",
        "loss_curves.svg",
        "loss_curves_small.png",
        "jglue_comparison.png",
        "jglue_comparison.svg",
        "data_mix.png",
        "data_mix.svg",
    ):
        assert (paths.plots / name).is_file(), name
    assert png_size(paths.plots / "loss_curves.png")[0] > png_size(paths.plots / "loss_curves_small.png")[0]
    umask = os.umask(0)
    os.umask(umask)
    assert paths.report.stat().st_mode & 0o777 == 0o666 & ~umask  # readable by a web server like any file


def test_data_mix_histograms_use_the_rows_and_the_tokenizer(tmp_path: Path, tiny_model_dir: Path) -> None:
    paths = make_run(tmp_path, stages=("data",))
    report = build_report(paths.root)
    assert report.plots["data_mix"].note == ""  # histograms drawn, no fallback
    assert "token-length summary" not in paths.report.read_text(encoding="utf-8")


def test_data_only_run_shows_what_has_not_run(tmp_path: Path) -> None:
    paths = make_run(tmp_path, stages=("data",), overrides=FAST)
    report = build_report(paths.root)
    assert {i.split(":")[0] for i in report.issues} == {
        "train/log_history.json",
        "train/train_summary.json",
        "eval/base/results.json",
        "eval/finetuned/results.json",
    }
    assert report.serious_issues == []
    text = paths.report.read_text(encoding="utf-8")
    check_self_contained(paths.report)
    assert "Not produced yet" in text and ">not run<" in text
    assert (paths.plots / "loss_curves.png").is_file()  # the report stage's completeness output, a placeholder
    assert "training has not run" in report.plots["loss_curves"].note
    assert "jglue_comparison" not in report.plots


def test_failed_stage_is_shown_with_its_escaped_error(tmp_path: Path) -> None:
    error = "stage 'eval' failed in 03_jglue_eval.ipynb, cell 4: ValueError: <bad> & \"quoted\""
    paths = make_run(tmp_path, stages=("data", "train"), failed={"eval": error}, overrides=FAST)
    build_report(paths.root)
    text = paths.report.read_text(encoding="utf-8")
    assert "&lt;bad&gt; &amp; &quot;quoted&quot;" in text and "<bad>" not in text
    assert 'class="bad">failed<' in text
    assert 'href="03_jglue_eval.html"' in text  # the failed notebook's rendering is linked


def test_missing_eval_for_one_model_shows_a_dash(tmp_path: Path) -> None:
    paths = make_run(tmp_path, labels=("base",), overrides=FAST)
    manifest = json.loads(paths.manifest.read_text())
    manifest["stages"]["eval"]["status"] = "failed"
    paths.manifest.write_text(json.dumps(manifest))
    build_report(paths.root)
    text = paths.report.read_text(encoding="utf-8")
    row = text.split("<td>jnli</td>", 1)[1].split("</tr>", 1)[0]
    assert f">{pct(BASE_RESULTS['jnli-1.1-0.3']['acc'])}<" in row
    assert row.count(">–<") == 2  # finetuned value and its delta


def test_title_and_run_name_are_escaped(tmp_path: Path) -> None:
    paths = make_run(tmp_path, overrides=[*FAST, "report.title=<script>alert(1)</script> & co"])
    build_report(paths.root)
    text = paths.report.read_text(encoding="utf-8")
    assert "<script>" not in text and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in text


@pytest.mark.parametrize(
    ("relative", "content", "expected"),
    [
        ("train/log_history.json", '[{"loss": 1.0, ', "not valid JSON"),
        ("eval/base/results.json", '{"results": [1, 2]}', "key 'results' is missing or not an object"),
        ("data/mix_stats.json", "[]", "expected a JSON object, found: array"),
        ("train/train_summary.json", None, "missing, although its stage is recorded as done"),
    ],
)
def test_damaged_artifact_is_named_and_no_half_report_is_written(
    tmp_path: Path, relative: str, content: str | None, expected: str
) -> None:
    paths = make_run(tmp_path, overrides=FAST)
    previous = "<html>previous report</html>"
    paths.report.write_text(previous)
    target = paths.root / relative
    if content is None:
        target.unlink()
    else:
        target.write_text(content)
    with pytest.raises(ReportIncompleteError) as info:
        build_report(paths.root)
    assert f"{relative}: " in str(info.value) and expected in str(info.value)
    assert paths.report.read_text() == previous  # untouched
    report = build_report(paths.root, allow_issues=True)
    text = paths.report.read_text(encoding="utf-8")
    assert "Missing or unreadable artifacts" in text and relative in text
    assert any(relative in issue for issue in report.serious_issues)
    check_self_contained(paths.report)


def test_not_a_run_folder(tmp_path: Path) -> None:
    with pytest.raises(RunFolderError, match="not found"):
        load_run(tmp_path / "nope")
    with pytest.raises(RunFolderError, match="not a stx run folder"):
        load_run(tmp_path)


def test_report_stage_links_its_own_notebook_while_it_runs(tmp_path: Path) -> None:
    paths = make_run(tmp_path, overrides=FAST)
    report = build_report(paths.root, current_stage="report")
    text = report.path.read_text(encoding="utf-8")
    assert 'href="04_loss_curves.html"' in text and 'class="pos">this page<' in text


def test_interactive_run_without_manifest(tmp_path: Path) -> None:
    """A notebook run by hand writes no manifest: params come from the notebook, stages are inferred."""
    paths = make_run(tmp_path, overrides=FAST)
    params = load_run(paths.root).params
    paths.manifest.unlink()
    paths.params.unlink()
    for html in paths.root.glob("0*.html"):
        html.unlink()
    report = build_report(paths.root, params)
    assert report.serious_issues == []
    assert load_run(paths.root).params == params  # kept in params.yaml for stx report / stx compare
    text = report.path.read_text(encoding="utf-8")
    assert "manifest.json not available" in text and f">{pct(BASE_RESULTS['marc_ja-1.1-0.3']['acc'])}<" in text
    check_self_contained(report.path)


def test_report_params_hide_the_card_and_change_the_baseline(tmp_path: Path) -> None:
    paths = make_run(tmp_path, overrides=[*FAST, "report.show_card_results=false", "report.baseline=finetuned"])
    build_report(paths.root)
    text = paths.report.read_text(encoding="utf-8")
    assert "<th>Δ base − finetuned</th>" in text and "card: base" not in text
    base, tuned = BASE_RESULTS["marc_ja-1.1-0.3"]["acc"], FINETUNED_RESULTS["marc_ja-1.1-0.3"]["acc"]
    assert f">{base - tuned:+.3f}<" in text
