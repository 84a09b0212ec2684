"""Notebook 04 through papermill on a synthetic run folder, as `stx run` executes it."""

from __future__ import annotations

from pathlib import Path

import nbformat
import papermill
import pytest
from helpers import REPO, check_self_contained
from synthetic_run import BASE_RESULTS, make_run

from stxlib.runner.kernel import ensure_kernel


@pytest.mark.slow
def test_notebook_04_builds_plots_and_report(tmp_path: Path) -> None:
    paths = make_run(tmp_path)
    output = paths.root / "04_loss_curves.ipynb"
    papermill.execute_notebook(
        str(REPO / "notebooks" / "04_loss_curves.ipynb"),
        str(output),
        parameters={"params_file": str(paths.params), "run_dir": str(paths.root)},
        kernel_name=ensure_kernel(),
        cwd=str(REPO / "notebooks"),
        progress_bar=False,
    )
    assert paths.report.is_file() and (paths.plots / "loss_curves.png").is_file()  # the stage's completeness
    # the page links this notebook's rendering, which the runner writes next
    (paths.root / "04_loss_curves.html").write_text("<html></html>")
    check_self_contained(paths.report)
    text = paths.report.read_text(encoding="utf-8")  # what the stage wrote, not what the notebook printed
    assert 'class="pos">this page<' in text and f">{BASE_RESULTS['marc_ja-1.1-0.3']['acc']:.3f}<" in text
    nb = nbformat.read(output, as_version=4)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(images) == 3  # loss curves, JGLUE, data mix shown in the notebook too
