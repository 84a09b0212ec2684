"""`stx report` and `stx compare` on recorded (synthetic) run folders, through the console script."""

from __future__ import annotations

from pathlib import Path

from helpers import check_self_contained, run_stx
from synthetic_run import make_run

from stxlib.report.params_diff import ABSENT, differing_params, flatten_params


def test_stx_report_rebuilds_from_artifacts_without_running_stages(tmp_path: Path) -> None:
    paths = make_run(tmp_path)
    before = {p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in paths.root.iterdir() if p.is_file()}
    result = run_stx("report", str(paths.root), timeout=120)
    assert result.returncode == 0, result.stderr
    assert f"report: {paths.report}" in result.stdout
    for name, (mtime, data) in before.items():  # manifest, params and stage notebooks are untouched
        current = paths.root / name
        assert current.stat().st_mtime_ns == mtime and current.read_bytes() == data, name
    assert not (paths.root / "04_loss_curves.ipynb").exists()  # no notebook was executed
    assert (paths.plots / "loss_curves.png").is_file()
    check_self_contained(paths.report)


def test_stx_report_names_a_corrupt_artifact(tmp_path: Path) -> None:
    paths = make_run(tmp_path)
    (paths.eval_dir("finetuned") / "results.json").write_text('{"results": {"jnli-1.1-0.3": ')
    result = run_stx("report", str(paths.root), timeout=120)
    assert result.returncode == 1
    assert "eval/finetuned/results.json: corrupt: not valid JSON" in result.stderr
    assert "--allow-missing" in result.stderr and not paths.report.exists()
    result = run_stx("report", "--allow-missing", str(paths.root), timeout=120)
    assert result.returncode == 0, result.stderr
    assert "stx: warning: eval/finetuned/results.json" in result.stderr and paths.report.is_file()


def test_stx_report_on_a_folder_that_is_not_a_run(tmp_path: Path) -> None:
    result = run_stx("report", str(tmp_path), timeout=60)
    assert result.returncode == 1 and "not a stx run folder" in result.stderr


def test_stx_compare_overlays_runs_and_lists_differing_params(tmp_path: Path) -> None:
    first = make_run(tmp_path, "stx_r8", overrides=["lora.r=8", "train.learning_rate=2.0e-4"], best_at=300)
    second = make_run(tmp_path, "stx_r64", overrides=["lora.r=64", "train.learning_rate=1.0e-4"], best_at=450)
    assert run_stx("report", str(first.root), timeout=120).returncode == 0
    result = run_stx("compare", str(first.root), str(second.root), timeout=120)
    assert result.returncode == 0, result.stderr
    page = tmp_path / "compare.html"  # default: beside the first run
    assert str(page) in result.stdout
    text = page.read_text(encoding="utf-8")
    parser = check_self_contained(page)
    assert len(parser.srcs) == 2  # the overlaid loss curves, the JGLUE chart
    assert 'href="stx_r8/report.html"' in text and "not built" in text  # second run has no report yet
    diff = text.split("Params that differ", 1)[1]
    assert "<td>lora.r</td><td>8</td><td>64</td>" in diff
    assert "<td>train.learning_rate</td><td>0.0002</td><td>0.0001</td>" in diff
    assert "<td>run.name</td><td>stx_r8</td><td>stx_r64</td>" in diff
    assert "train.max_steps" not in diff  # equal params are not listed
    assert "<th>stx_r8</th><th>stx_r64</th><th>Δ stx_r64 − stx_r8</th><th>card</th>" in text  # a column per run
    assert ">300<" in text and ">450<" in text  # each run's best step

    out = tmp_path / "pages" / "r8_vs_r64.html"
    result = run_stx("compare", str(first.root), str(second.root), "--out", str(out), timeout=120)
    assert result.returncode == 0 and out.is_file()
    check_self_contained(out)  # links are relative to the page's own folder


def test_flatten_and_diff_params() -> None:
    a = {"lora": {"r": 8, "target_modules": ["q", "v"]}, "eval": {"models": [{"label": "base"}]}, "x": {}}
    b = {"lora": {"r": 8, "target_modules": ["q", "k"]}, "eval": {"models": [{"label": "base"}, {"label": "ft"}]}}
    assert flatten_params(a) == {"lora.r": 8, "lora.target_modules": ["q", "v"], "eval.models.0.label": "base", "x": {}}
    assert differing_params([a, b]) == [
        ("lora.target_modules", [["q", "v"], ["q", "k"]]),
        ("x", [{}, ABSENT]),
        ("eval.models.1.label", [ABSENT, "ft"]),
    ]
    assert differing_params([a, a]) == []
