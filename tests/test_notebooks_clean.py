"""Committed notebooks: no outputs, one parameters cell with the standard parameters, library calls only."""

from __future__ import annotations

import nbformat
import papermill
import pytest
from helpers import REPO

NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))
EXPECTED_STAGES = ["01_data_mixing", "02_qlora_training", "03_jglue_eval", "04_loss_curves"]


def test_every_stage_has_a_notebook() -> None:
    assert [p.stem for p in NOTEBOOKS] == EXPECTED_STAGES


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_stripped(path) -> None:
    nb = nbformat.read(path, as_version=4)
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{path.name} cell {index} has outputs: strip them before committing"
            assert cell.execution_count is None, f"{path.name} cell {index} has an execution count"
    assert "papermill" not in nb.metadata, f"{path.name} is an executed copy"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_parameters_cell(path) -> None:
    nb = nbformat.read(path, as_version=4)
    tagged = [i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, f"{path.name}: exactly one cell tagged 'parameters'"
    params = papermill.inspect_notebook(str(path))
    assert set(params) == {"params_file", "run_dir", "overrides"}
    assert params["params_file"]["default"].strip("'\"") == "../params/smoke.yaml"
    assert nb.metadata["kernelspec"]["name"] == "stx"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_calls_the_library(path) -> None:
    nb = nbformat.read(path, as_version=4)
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert "start_stage(" in code
    # logic lives in stxlib: no function or class definitions in notebooks
    assert "\ndef " not in "\n" + code and "\nclass " not in "\n" + code
