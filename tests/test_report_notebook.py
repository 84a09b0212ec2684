"""Notebook 04 through papermill on a synthetic run folder, as `stx run` executes it."""

from __future__ import annotations

from pathlib import Path

import nbformat
import papermill
import pytest
from conftest import REPO
from test_report_page import FAST, check_self_contained
from test_report_synthetic import make_run

from stxlib.runner.kernel import ensure_kernel


@pytest.mark.slow
def test_notebook_04_builds_plots_and_report(tmp_path: Path) -> None:
    paths = make_run(tmp_path, overrides=FAST)
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
    nb = nbformat.read(output, as_version=4)
    images = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if "image/png" in o.get("data", {})]
    assert len(images) == 3  # loss curves, JGLUE, data mix shown in the notebook too
    text = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert f"report: {paths.report}" in text
