"""Notebook 04 through papermill on a synthetic run folder, as `stx run` executes it."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import check_self_contained, code_outputs, execute_notebook
from synthetic_run import BASE_RESULTS, make_run


@pytest.mark.slow
def test_notebook_04_builds_plots_and_report(tmp_path: Path) -> None:
    paths = make_run(tmp_path)
    nb = execute_notebook(
        "04_loss_curves", paths.root / "04_loss_curves.ipynb", params_file=str(paths.params), run_dir=str(paths.root)
    )
    assert paths.report.is_file() and (paths.plots / "loss_curves.png").is_file()  # the stage's completeness
    # the page links this notebook's rendering, which the runner writes next
    (paths.root / "04_loss_curves.html").write_text("<html></html>")
    check_self_contained(paths.report)
    text = paths.report.read_text(encoding="utf-8")  # what the stage wrote, not what the notebook printed
    assert 'class="pos">this page<' in text and f">{BASE_RESULTS['marc_ja-1.1-0.3']['acc']:.3f}<" in text
    outputs = code_outputs(nb)
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(images) == 3  # loss curves, JGLUE, data mix shown in the notebook too
