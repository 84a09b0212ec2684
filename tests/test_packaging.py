"""Set-up contracts: one list of dependencies, the conda file installs the same extras, CI calls make test."""

from __future__ import annotations

import re
import tomllib

import yaml
from helpers import REPO


def pyproject() -> dict:
    return tomllib.loads((REPO / "pyproject.toml").read_text())


def test_environment_yml_installs_the_pyproject_extras() -> None:
    env = yaml.safe_load((REPO / "environment.yml").read_text())
    assert env["channels"] == ["conda-forge"], "conda-forge only (the pytorch channel is retired)"
    deps = env["dependencies"]
    assert "python=3.11" in deps
    assert any(str(d).startswith("cuda-version=") for d in deps), "pin cuda-version"
    pip = next(d["pip"] for d in deps if isinstance(d, dict) and "pip" in d)
    editable = [p for p in pip if p.startswith("-e .")]
    assert len(editable) == 1, "install stx itself from pyproject.toml"
    extras = set(re.fullmatch(r"-e \.\[(.*)\]", editable[0]).group(1).split(","))
    assert extras == set(pyproject()["project"]["optional-dependencies"])
    # no Python package is listed twice: everything else comes from pyproject.toml
    assert all(p.startswith("-e ") for p in pip)


def test_dependencies_cover_what_the_stages_import() -> None:
    names = {re.split(r"[<>=\[ ;]", d, maxsplit=1)[0].lower() for d in pyproject()["project"]["dependencies"]}
    for needed in [
        "torch",
        "transformers",
        "peft",
        "bitsandbytes",
        "datasets",
        "accelerate",
        "papermill",
        "nbconvert",
        "ipykernel",
        "matplotlib",
        "neologdn",
        "emoji",
        "fugashi",
        "unidic-lite",
    ]:
        assert needed in names, needed
    assert "jupyterlab" in " ".join(pyproject()["project"]["optional-dependencies"]["notebooks"])


def test_make_targets_and_ci() -> None:
    makefile = (REPO / "Makefile").read_text()
    for target in ("venv:", "demo: venv", "test: venv", "lint: venv"):
        assert target in makefile
    assert makefile.index("torch==2.13.0") < makefile.index('-e ".[dev,notebooks]"'), "torch must go first"
    ci = (REPO / ".ci" / "run").read_text()
    assert "make test" in ci
    assert (REPO / ".ci" / "run").stat().st_mode & 0o111
    assert 'stx = "stxlib.cli:main"' in (REPO / "pyproject.toml").read_text()
