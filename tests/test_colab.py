"""The Google Colab set-up cell of every stage notebook, executed from the committed notebooks: a no-op outside
Colab; with a stand-in `google.colab` (the boundary: `drive.mount` makes the mount point's `MyDrive` appear) the
run folder goes to Drive, and after a simulated runtime reset a second execution resumes training from the
checkpoint on Drive."""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
import types
from pathlib import Path

import nbformat
import pytest
from helpers import REPO

from stxlib import colab

NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))
SCRIPT = REPO / "scripts" / "add_colab_cell.py"


def setup_cell(stem: str = "02_qlora_training") -> str:
    nb = nbformat.read(REPO / "notebooks" / f"{stem}.ipynb", as_version=4)
    return next(c.source for c in nb.cells if colab.CELL_TAG in c.metadata.get("tags", []))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_notebook_has_the_cell_right_after_its_parameters(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    tags = [c.metadata.get("tags", []) for c in nb.cells]
    colab_cells = [i for i, t in enumerate(tags) if colab.CELL_TAG in t]
    params = [i for i, t in enumerate(tags) if "parameters" in t]
    assert len(colab_cells) == 1, f"{path.name}: run scripts/add_colab_cell.py"
    assert colab_cells[0] == params[0] + 1
    first_code = next(c for c in nb.cells if c.cell_type == "code")
    assert "parameters" in first_code.metadata.get("tags", [])  # papermill still sees the parameters first
    assert f'"{colab.repository_url()}"' in nb.cells[colab_cells[0]].source


@pytest.fixture(scope="module")
def script():
    """scripts/add_colab_cell.py, loaded in-process (its `main(argv)` is the command line)."""
    spec = importlib.util.spec_from_file_location("add_colab_cell", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_script_is_idempotent_and_reports_outdated_cells(tmp_path: Path, script, capsys) -> None:
    assert script.main(["--check"]) == 0, capsys.readouterr().out  # the committed cells are current

    copy = tmp_path / "nb.ipynb"
    nb = nbformat.read(NOTEBOOKS[0], as_version=4)
    nb.cells = [c for c in nb.cells if colab.CELL_TAG not in c.metadata.get("tags", [])]
    nbformat.write(nb, copy)
    assert script.main([str(copy), "--check"]) == 1
    capsys.readouterr()
    assert script.main([str(copy)]) == 0 and "nb.ipynb: added" in capsys.readouterr().out
    once = copy.read_text()
    assert script.main([str(copy)]) == 0 and "nb.ipynb: unchanged" in capsys.readouterr().out
    assert copy.read_text() == once  # a second run changes nothing

    edited = nbformat.read(copy, as_version=4)
    index = next(i for i, c in enumerate(edited.cells) if colab.CELL_TAG in c.metadata.get("tags", []))
    edited.cells[index].source = "# an old version of the cell"
    nbformat.write(edited, copy)
    assert script.main([str(copy)]) == 0 and "nb.ipynb: updated" in capsys.readouterr().out
    assert copy.read_text() == once


def test_readme_badges_point_at_the_notebooks_of_the_configured_repository() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    links = re.findall(r"\(https://colab\.research\.google\.com/github/([^)]+)\)", readme)
    assert links, "the README's Colab section lists the notebooks with 'Open in Colab' badges"
    prefix = f"{colab.GITHUB_REPO}/blob/{colab.GITHUB_BRANCH}/notebooks/"
    assert all(link.startswith(prefix) for link in links), "badges use stxlib.colab.GITHUB_REPO (--badges)"
    assert all((REPO / "notebooks" / link.removeprefix(prefix)).is_file() for link in links)


def test_the_cell_does_nothing_outside_colab(monkeypatch: pytest.MonkeyPatch) -> None:
    assert "google.colab" not in sys.modules

    def refuse(*args, **kwargs):
        raise AssertionError(f"the cell ran a command outside Colab: {args}")

    monkeypatch.setattr(subprocess, "run", refuse)
    namespace = {"params_file": "../params/smoke.yaml", "run_dir": "", "overrides": "train.max_steps=3"}
    path_before = list(sys.path)
    exec(setup_cell(), namespace)
    assert (namespace["params_file"], namespace["run_dir"], namespace["overrides"]) == (
        "../params/smoke.yaml",
        "",
        "train.max_steps=3",
    )
    assert "setup_colab" not in namespace and "STX_CHECKOUT" not in namespace and sys.path == path_before


def test_params_are_found_in_the_checkout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # Colab's working directory is /content, not notebooks/
    smoke = (REPO / "params" / "smoke.yaml").resolve()
    assert colab.find_params("../params/smoke.yaml", REPO) == smoke
    assert colab.find_params("smoke.yaml", REPO) == smoke
    own = tmp_path / "mine.yaml"
    own.write_text("run: {name: mine}\n")
    assert colab.find_params("mine.yaml", REPO) == own
    with pytest.raises(FileNotFoundError, match=r"openorca_stx\.yaml.*smoke\.yaml"):
        colab.find_params("../params/nope.yaml", REPO)


def test_a_run_folder_chosen_by_stx_run_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(colab, "mount_drive", lambda: pytest.fail("mounted Drive under stx run"))
    assert colab.setup_colab("/x/params.yaml", "/runs/a", "a.b=1") == ("/x/params.yaml", "/runs/a", "a.b=1")
    assert colab.add_override("a=1; ", "b=2") == "a=1; b=2" and colab.add_override("", "b=2") == "b=2"


class StandInColab:
    """`google.colab` as seen by the cell: `drive.mount(path)` links `path/MyDrive` to a folder that outlives the
    runtime (the user's Drive); `reset()` is a runtime reset (the mount disappears, Drive stays)."""

    def __init__(self, storage: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.storage = storage
        self.mounts: list[str] = []
        storage.mkdir(parents=True, exist_ok=True)
        module = types.ModuleType("google.colab")
        module.drive = types.SimpleNamespace(mount=self.mount)
        monkeypatch.setitem(sys.modules, "google.colab", module)

    def mount(self, mount_point: str) -> None:
        self.mounts.append(mount_point)
        Path(mount_point).mkdir(parents=True, exist_ok=True)
        os.symlink(self.storage, Path(mount_point) / "MyDrive")

    def reset(self, mount_point: Path) -> None:
        shutil.rmtree(mount_point.parent)  # /content: the checkout would go too, the Drive folder stays


def execute_cell(overrides: str) -> dict:
    namespace = {"params_file": "../params/smoke.yaml", "run_dir": "", "overrides": overrides}
    exec(setup_cell(), namespace)
    return namespace


@pytest.mark.slow
def test_run_folder_on_drive_and_training_resumes_after_a_reset(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tiny_model_dir, capsys: pytest.CaptureFixture[str]
) -> None:
    from transformers import TrainerCallback

    from stxlib.data import run_stage as run_data_stage
    from stxlib.io import read_json
    from stxlib.notebook import start_stage
    from stxlib.train import prepare_training

    class RuntimeDies(TrainerCallback):
        def on_save(self, args, state, control, **kwargs):
            raise KeyboardInterrupt("runtime reset")

    mount = tmp_path / "content" / "drive"
    monkeypatch.setattr(colab, "DRIVE_MOUNT", str(mount))
    monkeypatch.setenv(colab.CHECKOUT_ENV, str(REPO))  # the clone is there already: no git, no pip
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", list(sys.path))
    google = StandInColab(tmp_path / "my-drive", monkeypatch)
    # the smallest real run: 2 optimizer steps on a 24-row mix, a checkpoint and an evaluation after each
    short = "data.samples_per_source=8; data.eval_size=6; train.max_steps=2; train.eval_steps=1; train.save_steps=1"

    cell = execute_cell(short)
    assert cell["params_file"] == str((REPO / "params" / "smoke.yaml").resolve()) and cell["run_dir"] == ""
    drive_root = mount / "MyDrive" / colab.DRIVE_FOLDER
    assert cell["overrides"] == f"{short}; run.output_root={drive_root}"
    ctx = start_stage("train", cell["params_file"], cell["run_dir"], cell["overrides"])
    assert ctx.paths.root == (drive_root / "smoke").resolve()
    assert (google.storage / colab.DRIVE_FOLDER / "smoke").is_dir()  # written to Drive, not to the runtime
    run_data_stage(ctx.config, ctx.paths)
    with pytest.raises(KeyboardInterrupt):  # the runtime dies right after checkpoint-1 reached Drive
        prepare_training(ctx.config, ctx.paths, echo=print, disable_tqdm=True, callbacks=[RuntimeDies()]).train()
    dirs = ctx.paths.training("train")
    assert (dirs.checkpoints / "checkpoint-1").is_dir() and not dirs.best_adapter.exists()
    google.reset(mount)
    capsys.readouterr()

    cell = execute_cell(short)  # a new runtime runs the notebook again
    assert len(google.mounts) == 2
    assert "train: will resume from checkpoint-1" in capsys.readouterr().out
    ctx = start_stage("train", cell["params_file"], cell["run_dir"], cell["overrides"])
    session = prepare_training(ctx.config, ctx.paths, echo=print, disable_tqdm=True)
    assert session.describe()["resume from"] == "checkpoint-1"
    session.train()
    summary = read_json(dirs.train_summary)
    assert summary["resumed_from"] == "checkpoint-1" and summary["steps"] == 2
    assert (google.storage / colab.DRIVE_FOLDER / "smoke" / "train" / "best_adapter").is_dir()
