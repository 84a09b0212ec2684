"""report.html from synthetic run folders: headline numbers, deltas, card values, embedded images,
working relative links, escaping, partial and damaged runs."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from helpers import check_self_contained, png_size
from synthetic_run import BASE_RESULTS, FINETUNED_RESULTS, make_run

from stxlib.config import load_params
from stxlib.plots.data_mix import plot_data_mix
from stxlib.plots.style import save_figure
from stxlib.published import CARD_RESULTS
from stxlib.report import ReportIncompleteError, RunFolderError, build_report, load_run, render_report, run_stage


def pct(value: float) -> str:
    return f"{value:.3f}"


def test_full_run_report_has_headline_numbers_deltas_card_and_images(tmp_path: Path) -> None:
    paths = make_run(tmp_path)
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
        "data_mix_summary.png",  # the data stage's own chart is not in this folder: summarised from mix_stats
        "data_mix_summary.svg",
    ):
        assert (paths.plots / name).is_file(), name
    assert not (paths.plots / "data_mix.png").exists()  # stage 1's file: the report never writes it
    # one section per stage of the run, in registry order, between the overview and the environment
    order = ["<h2>Stages", "<h2>Key params", "<h2>Data mix", "<h2>Training", "<h2>JGLUE", "<h2>Environment"]
    assert [text.index(heading) for heading in order] == sorted(text.index(heading) for heading in order)
    assert png_size(paths.plots / "loss_curves.png")[0] > png_size(paths.plots / "loss_curves_small.png")[0]
    umask = os.umask(0)
    os.umask(umask)
    assert paths.report.stat().st_mode & 0o777 == 0o666 & ~umask  # readable by a web server like any file


def embedded_images(page: Path) -> list[bytes]:
    return [base64.b64decode(src.split(",", 1)[1]) for src in check_self_contained(page).srcs]


def test_report_embeds_the_data_stages_chart_as_it_was_drawn(tmp_path: Path) -> None:
    paths = make_run(tmp_path, stages=("data",))
    stats = json.loads(paths.mix_stats.read_text())
    lengths = {name: ([10, 20, 30], [5, 6, 7]) for name in stats["sources"]}
    chart, _ = save_figure(plot_data_mix(stats, lengths, "openorca_stx"), paths.plots / "data_mix")
    before = (chart.stat().st_mtime_ns, chart.read_bytes())
    report = build_report(paths.root)
    assert report.plots["data_mix"].png == chart and report.plots["data_mix"].note == ""
    assert chart.read_bytes() in embedded_images(paths.report)  # the stage's PNG, byte for byte
    assert (chart.stat().st_mtime_ns, chart.read_bytes()) == before  # not redrawn
    assert not (paths.plots / "data_mix_summary.png").exists()
    assert 'href="plots/data_mix.svg"' in paths.report.read_text(encoding="utf-8")


def test_without_the_stages_chart_the_data_mix_is_summarised_from_mix_stats(tmp_path: Path) -> None:
    paths = make_run(tmp_path, stages=("data",))
    report = build_report(paths.root)
    plot = report.plots["data_mix"]
    assert plot.png == paths.plots / "data_mix_summary.png" and "plots/data_mix.png" in plot.note
    assert plot.png.read_bytes() in embedded_images(paths.report)
    assert "token-length summary from mix_stats.json" in paths.report.read_text(encoding="utf-8")


def test_headline_numbers_are_read_from_results_json(tmp_path: Path) -> None:
    """The page shows what the eval stage recorded as the headline, not a rule of its own."""
    paths = make_run(tmp_path)
    file = paths.eval_dir("base") / "results.json"
    data = json.loads(file.read_text())
    data["headline"]["jnli-1.1-0.3"] = {"metric": "acc_norm", "scale": 1.0, "value": 0.4321}
    file.write_text(json.dumps(data))
    text = render_report(load_run(paths.root), {})  # the tables only: no plots drawn
    row = text.split("<td>jnli</td>", 1)[1].split("</tr>", 1)[0]
    assert "<td>acc_norm</td>" in row and ">0.432<" in row
    assert f">{FINETUNED_RESULTS['jnli-1.1-0.3']['acc'] - 0.4321:+.3f}<" in row
    assert "<td>exact_match / 100</td>" in text.split("<td>jsquad</td>", 1)[1].split("</tr>", 1)[0]


def test_results_without_headline_ask_to_rerun_eval(tmp_path: Path) -> None:
    paths = make_run(tmp_path, headline=False)
    run = load_run(paths.root)
    assert run.serious_issues == []  # an older file is readable, only its headline is not there
    assert [str(i) for i in run.issues] == [
        f"eval/{label}/results.json: no headline numbers (written by an older stx): re-run the eval stage "
        "(stx run PARAMS --stages eval --force) to record them"
        for label in ("base", "finetuned")
    ]
    text = render_report(run, {})
    assert "No headline numbers in eval/base/results.json, eval/finetuned/results.json" in text
    assert "re-run the eval stage (stx run PARAMS --stages eval --force)" in text
    row = text.split("<td>marc_ja</td>", 1)[1].split("</tr>", 1)[0]
    assert f">{pct(BASE_RESULTS['marc_ja-1.1-0.3']['acc'])}<" not in row  # no guessed number
    assert row.count(">—<") == 4  # metric, base, finetuned, their delta: not recorded; the card's values stay
    assert ">0.9372 ± 0.0032<" in text  # every metric is still listed as recorded


def test_sections_are_those_of_the_runs_stages(tmp_path: Path) -> None:
    paths = make_run(tmp_path, stages=("data",), overrides=["run.stages=[data, report]"])
    report = build_report(paths.root)
    text = paths.report.read_text(encoding="utf-8")
    assert "<h2>Data mix" in text and "<h2>Training" not in text and "<h2>JGLUE" not in text
    assert [s.name for s in report.run.stages] == ["data", "report"]
    assert set(report.plots) == {"data_mix"}
    assert report.issues == []  # train/eval files are not expected in this run


def test_the_report_reads_files_only(tmp_path: Path) -> None:
    """Reading a run and rendering every section loads no tokenizer, model or other stage package."""
    paths = make_run(tmp_path)
    code = (
        "import sys\n"
        "from stxlib.report import load_run, render_report\n"
        f"render_report(load_run({str(paths.root)!r}), {{}})\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in {'torch', 'transformers', 'tokenizers'}"
        " or m.startswith(('stxlib.data', 'stxlib.train', 'stxlib.jglue', 'stxlib.engine', 'stxlib.runner'))))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_data_only_run_shows_what_has_not_run(tmp_path: Path) -> None:
    paths = make_run(tmp_path, stages=("data",))
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
    assert "Not shown (stage not run" in text and ">not run<" in text
    assert (paths.plots / "loss_curves.png").is_file()  # the report stage's completeness output, a placeholder
    assert "training has not run" in report.plots["loss_curves"].note
    assert "jglue_comparison" not in report.plots


def test_failed_stage_is_shown_with_its_escaped_error(tmp_path: Path) -> None:
    error = "stage 'eval' failed in 03_jglue_eval.ipynb, cell 4: ValueError: <bad> & \"quoted\""
    paths = make_run(tmp_path, stages=("data", "train"), failed={"eval": error})
    build_report(paths.root)
    text = paths.report.read_text(encoding="utf-8")
    assert "&lt;bad&gt; &amp; &quot;quoted&quot;" in text and "<bad>" not in text
    assert 'class="bad">failed<' in text
    assert 'href="03_jglue_eval.html"' in text  # the failed notebook's rendering is linked


def test_missing_eval_for_one_model_shows_a_dash(tmp_path: Path) -> None:
    paths = make_run(tmp_path, labels=("base",))
    manifest = json.loads(paths.manifest.read_text())
    manifest["stages"]["eval"]["status"] = "failed"
    paths.manifest.write_text(json.dumps(manifest))
    build_report(paths.root)
    text = paths.report.read_text(encoding="utf-8")
    row = text.split("<td>jnli</td>", 1)[1].split("</tr>", 1)[0]
    assert f">{pct(BASE_RESULTS['jnli-1.1-0.3']['acc'])}<" in row
    assert row.count(">—<") == 2  # finetuned value and its delta


def test_title_and_run_name_are_escaped(tmp_path: Path) -> None:
    paths = make_run(tmp_path, overrides=["report.title=<script>alert(1)</script> & co"])
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
    paths = make_run(tmp_path)
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
    paths = make_run(tmp_path)
    report = build_report(paths.root, current_stage="report")
    text = report.path.read_text(encoding="utf-8")
    assert 'href="04_loss_curves.html"' in text and 'class="pos">this page<' in text


def test_interactive_run_without_manifest(tmp_path: Path) -> None:
    """A notebook run by hand writes no manifest: params come from the notebook, stages are inferred."""
    paths = make_run(tmp_path)
    config = load_params(paths.params)
    paths.manifest.unlink()
    paths.params.unlink()
    for html in paths.root.glob("0*.html"):
        html.unlink()
    report = run_stage(config, paths)
    assert report.serious_issues == [] and report.run.config is config
    assert load_run(paths.root).config == config  # kept in params.yaml for stx report / stx compare
    text = report.path.read_text(encoding="utf-8")
    assert "manifest.json not available" in text and f">{pct(BASE_RESULTS['marc_ja-1.1-0.3']['acc'])}<" in text
    check_self_contained(report.path)


def test_report_params_hide_the_card_and_change_the_baseline(tmp_path: Path) -> None:
    paths = make_run(tmp_path, overrides=["report.show_card_results=false", "report.baseline=finetuned"])
    build_report(paths.root)
    text = paths.report.read_text(encoding="utf-8")
    assert "<th>Δ base − finetuned</th>" in text and "card: base" not in text
    base, tuned = BASE_RESULTS["marc_ja-1.1-0.3"]["acc"], FINETUNED_RESULTS["marc_ja-1.1-0.3"]["acc"]
    assert f">{base - tuned:+.3f}<" in text


def test_params_of_an_older_stx_with_the_retired_histogram_switch_still_load(tmp_path: Path) -> None:
    paths = make_run(tmp_path)
    params = yaml.safe_load(paths.params.read_text())
    params["report"]["data_mix_histograms"] = True  # every params.yaml written before stage 1 drew the chart
    paths.params.write_text(yaml.safe_dump(params))
    run = load_run(paths.root)
    assert run.issues == [] and run.config is not None and run.config.report.baseline == "base"
    params["report"]["data_mix_histograms"] = False
    paths.params.write_text(yaml.safe_dump(params))
    with pytest.warns(FutureWarning, match=r"report.data_mix_histograms no longer has an effect.*plots/data_mix.png"):
        assert load_run(paths.root).issues == []


def test_invalid_params_are_named_and_stop_the_report(tmp_path: Path) -> None:
    paths = make_run(tmp_path)
    params = yaml.safe_load(paths.params.read_text())
    params["train"]["max_steps"] = 0
    paths.params.write_text(yaml.safe_dump(params))
    with pytest.raises(ReportIncompleteError, match=r"params.yaml: invalid params \(params.yaml\):; train.max_steps"):
        build_report(paths.root)
    report = build_report(paths.root, allow_issues=True)
    assert report.run.config is None and "no params found" in report.path.read_text(encoding="utf-8")
