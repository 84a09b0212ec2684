"""Committed notebooks: no outputs, one parameters cell with the standard parameters, and code cells that only
call stxlib and display (no function, lambda or class definitions, no loops or comprehensions: those belong in a
stage's view helper)."""

from __future__ import annotations

import ast

import nbformat
import papermill
import pytest
from helpers import REPO

from stxlib.stages import STAGES

NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))
LOGIC = {
    ast.FunctionDef: "function definition",
    ast.AsyncFunctionDef: "function definition",
    ast.Lambda: "lambda",
    ast.ClassDef: "class definition",
    ast.For: "for loop",
    ast.AsyncFor: "for loop",
    ast.While: "while loop",
    ast.ListComp: "comprehension",  # a loop building a table is still a loop
    ast.SetComp: "comprehension",
    ast.DictComp: "comprehension",
    ast.GeneratorExp: "comprehension",
}


def logic_in(source: str) -> list[str]:
    """What a code cell does beyond calling and displaying: `line N: for loop`, ..."""
    lines = [line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))]  # IPython magics
    tree = ast.parse("\n".join(lines))
    return [f"line {n.lineno}: {LOGIC[type(n)]}" for n in ast.walk(tree) if type(n) in LOGIC]


def test_every_registered_stage_has_a_notebook_and_no_notebook_is_unregistered() -> None:
    assert sorted(p.stem for p in NOTEBOOKS) == sorted(s.notebook for s in STAGES)
    assert set(STILL_WITH_LOGIC) <= {p.stem for p in NOTEBOOKS}  # no stale entry


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


def test_the_logic_check_catches_definitions_and_loops() -> None:
    source = "x = [f(r) for r in rows]\ndef f(r):\n    return r\nfor r in rows:\n    print(r)\nwhile x: pass\n"
    assert sorted(logic_in(source)) == [
        "line 1: comprehension",
        "line 2: function definition",
        "line 4: for loop",
        "line 6: while loop",
    ]
    assert logic_in("class A: pass\nsorted(rows, key=lambda r: r[0])") == ["line 1: class definition", "line 2: lambda"]
    assert logic_in("%matplotlib inline\ndisplay(table(run))") == []


# Notebooks that still hold logic, each with the work that removes it; strict, so the entry goes with the logic.
STILL_WITH_LOGIC: dict[str, str] = {}


@pytest.mark.parametrize(
    "path",
    [
        pytest.param(p, marks=pytest.mark.xfail(reason=STILL_WITH_LOGIC[p.stem], strict=True))
        if p.stem in STILL_WITH_LOGIC
        else p
        for p in NOTEBOOKS
    ],
    ids=lambda p: p.stem,
)
def test_notebook_only_calls_the_library(path) -> None:
    nb = nbformat.read(path, as_version=4)
    found = [
        f"cell {index} {what}"
        for index, cell in enumerate(nb.cells)
        if cell.cell_type == "code"
        for what in logic_in(cell.source)
    ]
    assert not found, f"{path.name}: move this logic into stxlib (a view helper in the stage package): {found}"
