"""The stage registry: the entry-point contract of every stage package, notebooks that match their entries,
stage selection, and each stage's `check_config`, which `stx run` calls before anything runs."""

from __future__ import annotations

import argparse
import ast
import dataclasses
import importlib
import inspect
from pathlib import Path

import nbformat
import pytest
from helpers import REPO, SMOKE

import stxlib.data
from stxlib.cli import main
from stxlib.cli.common import config_from_args
from stxlib.config import ParamsError, RunSection, load_params
from stxlib.paths import RunPaths
from stxlib.runner import StagePackageError, check_stage_configs, plan_stages, run_pipeline
from stxlib.stages import STAGE_NAMES, STAGES, STX_RECIPE, get_stage, select_stages


@pytest.mark.parametrize("stage", STAGES, ids=lambda s: s.name)
def test_every_stage_package_exposes_run_stage(stage) -> None:
    package = importlib.import_module(stage.package)
    run_stage = getattr(package, "run_stage", None)
    assert callable(run_stage), f"{stage.package} has no run_stage(config, paths) (see docs/architecture.md)"
    assert list(inspect.signature(run_stage).parameters)[:2] == ["config", "paths"]
    check = getattr(package, "check_config", None)
    if check is not None:
        assert list(inspect.signature(check).parameters) == ["config"]


def test_registry_entries_are_distinct_and_have_their_notebook() -> None:
    assert len(set(STAGE_NAMES)) == len(STAGES)
    assert len({s.notebook for s in STAGES}) == len(STAGES) and len({s.package for s in STAGES}) == len(STAGES)
    for stage in STAGES:
        path = REPO / "notebooks" / f"{stage.notebook}.ipynb"
        assert path.is_file(), f"stage {stage.name}: {path} is missing"
        code = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code")
        starts = [
            node.args[0].value
            for node in ast.walk(ast.parse(code))
            if isinstance(node, ast.Call)
            and getattr(node.func, "id", None) == "start_stage"
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ]
        assert starts == [stage.name], f"{path.name} must call start_stage({stage.name!r}, ...) once"


def test_the_default_recipe_is_the_stx_recipe() -> None:
    assert RunSection().stages == list(STX_RECIPE)
    assert [s.name for s in select_stages(STX_RECIPE)] == list(STX_RECIPE)


def test_selection_keeps_registry_order_and_names_unknown_stages() -> None:
    assert [s.name for s in select_stages("report, data")] == ["data", "report"]
    assert select_stages(None) == list(STAGES)
    with pytest.raises(ValueError, match=r"unknown stage\(s\) tarin; choose from data, train"):
        select_stages("data,tarin")
    with pytest.raises(ValueError, match="unknown stage 'x'"):
        get_stage("x")


def test_plan_narrows_run_stages_and_refuses_others() -> None:
    config = load_params(SMOKE, ["run.stages=[data, train]"])
    assert [s.name for s in plan_stages(config, None)] == ["data", "train"]
    assert [s.name for s in plan_stages(config, "train")] == ["train"]
    with pytest.raises(ParamsError, match=r"--stages eval: not in this params file's run.stages \(data, train\)"):
        plan_stages(config, "eval")
    with pytest.raises(ParamsError, match=r"run.stages: unknown stage\(s\) dta"):
        plan_stages(load_params(SMOKE, ["run.stages=[dta]"]), None)


def test_outputs_follow_the_recipe(tmp_path: Path) -> None:
    """The report needs loss curves only when the run trains; the data stage's chart is one of its outputs."""
    paths = RunPaths(tmp_path / "run")
    stx = load_params(SMOKE)
    no_train = load_params(SMOKE, ["run.stages=[data, eval, report]"])
    report = get_stage("report")
    assert report.outputs(paths, stx) == [paths.report, paths.plots / "loss_curves.png"]
    assert report.outputs(paths, no_train) == [paths.report]
    paths.root.mkdir(parents=True)
    paths.report.write_text("<html></html>")
    assert report.missing_outputs(paths, no_train) == []
    assert report.missing_outputs(paths, stx) == [paths.plots / "loss_curves.png"]
    assert paths.plots / "data_mix.png" in get_stage("data").outputs(paths, stx)


# ---------------------------------------------------------------- check_config


def fake_stage(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, body: str):
    (tmp_path / f"{name}.py").write_text(body)
    monkeypatch.syspath_prepend(str(tmp_path))
    return dataclasses.replace(get_stage("data"), name=name, package=name)


def test_check_config_of_each_stage_runs_and_its_error_propagates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = (
        "from stxlib.config import ParamsError\n"
        "def run_stage(config, paths): pass\n"
        "def check_config(config):\n"
        "    if config.data.samples_per_source > 100:\n"
        "        raise ParamsError('data.samples_per_source: at most 100 here')\n"
    )
    strict = fake_stage(tmp_path, monkeypatch, "stx_fake_strict", body)
    lenient = fake_stage(tmp_path, monkeypatch, "stx_fake_lenient", "def run_stage(config, paths): pass\n")
    check_stage_configs(load_params(SMOKE), [lenient, strict])  # 40 rows: fine
    with pytest.raises(ParamsError, match="at most 100 here"):
        check_stage_configs(load_params(SMOKE, ["data.samples_per_source=101"]), [lenient, strict])


def test_a_stage_package_that_cannot_be_imported_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    broken = fake_stage(tmp_path, monkeypatch, "stx_fake_broken", "import stx_no_such_dependency\n")
    with pytest.raises(StagePackageError, match=r"stage 'stx_fake_broken': cannot import its package.*no_such"):
        check_stage_configs(load_params(SMOKE), [broken])


def refuse_everything(config) -> None:
    raise ParamsError("data.split: this stage refuses every config (test)")


def test_stx_run_checks_before_touching_the_run_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(stxlib.data, "check_config", refuse_everything, raising=False)
    with pytest.raises(ParamsError, match="refuses every config"):
        run_pipeline(SMOKE, stages="data", run_dir=tmp_path / "run")
    assert not (tmp_path / "run").exists()
    # the command line: a params problem exits 2 with the message, no traceback, nothing written
    code = main(["run", str(SMOKE), "--run-dir", str(tmp_path / "cli"), "--stages", "data"])
    err = capsys.readouterr().err
    assert code == 2 and "stx: error: data.split: this stage refuses every config" in err
    assert not (tmp_path / "cli").exists()


def test_a_stage_subcommand_gets_the_same_check(monkeypatch: pytest.MonkeyPatch) -> None:
    args = argparse.Namespace(params=str(SMOKE), overrides=["data.samples_per_source=30"])
    assert config_from_args(args).data.samples_per_source == 30
    monkeypatch.setattr(stxlib.data, "check_config", refuse_everything, raising=False)
    assert config_from_args(args, stage="train").data.samples_per_source == 30  # another stage's check: not run
    with pytest.raises(ParamsError, match="refuses every config"):
        config_from_args(args, stage="data")
