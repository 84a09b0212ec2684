"""Imports point one way: cli (4) -> runner (3) -> stage packages (2) -> the shared floor (1).

Every module of `stxlib` is read with `ast`; every import counts: top level or inside a function, under
`TYPE_CHECKING` or not, `import a.b`, `from a import b`, relative imports, and `importlib.import_module("...")`
with a literal name. Layers:

- cli: `stxlib.cli` and below; runner: `stxlib.runner` and `stxlib.sweep` and below;
- stage packages: the registry's `Stage.package` values (`stxlib.stages`), plus any direct subpackage of
  `stxlib` whose `__init__` defines or imports `run_stage` (an unregistered stage is still a stage, and a test
  below asks for its registry entry);
- the floor: everything else (config, paths, io, modeling, tokenization, engine, plots, the registry, ...).

A module may import its own layer or lower, except that a stage package never imports another stage package.
`config/` imports no stage; the report imports only the floor and never what tokenises or loads a model.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest
from helpers import REPO

from stxlib.stages import STAGES

STXLIB = REPO / "stxlib"
CLI, RUNNER, STAGE, FLOOR = 4, 3, 2, 1
LAYER_NAMES = {CLI: "cli", RUNNER: "runner", STAGE: "stage", FLOOR: "floor"}
# What the report must not reach even on the floor: it reads a run folder's files, never a model or tokenizer.
REPORT_FORBIDDEN = ("stxlib.tokenization", "stxlib.modeling", "stxlib.tiny_model", "stxlib.engine", "stxlib.training")
REPORT_FORBIDDEN_THIRD_PARTY = ("torch", "transformers", "peft", "tokenizers", "bitsandbytes", "trl")


@dataclass(frozen=True)
class Arrow:
    source: str  # importing module, dotted
    path: Path
    line: int
    target: str  # imported module (stxlib.* resolved to the deepest existing module; else the top name)

    def __str__(self) -> str:
        return f"{self.path.relative_to(REPO)}:{self.line}  {self.source} -> {self.target}"


def module_name(path: Path, root: Path = STXLIB) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def is_module(name: str, root: Path = STXLIB) -> bool:
    base = root.parent.joinpath(*name.split("."))
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


def resolve(name: str, root: Path = STXLIB) -> str:
    """`stxlib.a.b.C` -> `stxlib.a.b` (the deepest part that is a module); other packages -> their top name."""
    parts = name.split(".")
    if parts[0] != root.name:
        return parts[0]
    while len(parts) > 1 and not is_module(".".join(parts), root):
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path, root: Path = STXLIB) -> list[Arrow]:
    """Every import in the file (any depth), as arrows to resolved module names."""
    source = module_name(path, root)
    package = source if path.name == "__init__.py" else source.rpartition(".")[0]
    arrows = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, node.module] if node.module else anchor)
            else:
                base = node.module or ""
            # `from pkg import sub` imports the submodule `pkg.sub` when there is one
            names = [f"{base}.{alias.name}" for alias in node.names if alias.name != "*"] or [base]
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute | ast.Name)
            and (node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id) == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            names = [node.args[0].value]
        arrows += [Arrow(source, path, node.lineno, resolve(name, root)) for name in names]
    return sorted(set(arrows), key=lambda a: (a.line, a.target))


@cache
def all_arrows() -> tuple[Arrow, ...]:
    return tuple(arrow for path in sorted(STXLIB.rglob("*.py")) for arrow in imports_of(path))


def defines_run_stage(package_init: Path) -> bool:
    for node in ast.walk(ast.parse(package_init.read_text(encoding="utf-8"))):
        if isinstance(node, ast.FunctionDef) and node.name == "run_stage":
            return True
        if isinstance(node, ast.ImportFrom) and any((a.asname or a.name) == "run_stage" for a in node.names):
            return True
    return False


@cache
def stage_packages() -> tuple[str, ...]:
    registered = {stage.package for stage in STAGES}
    found = {module_name(init) for init in STXLIB.glob("*/__init__.py") if defines_run_stage(init)}
    return tuple(sorted(registered | found))


def owning_stage(module: str) -> str | None:
    return next((p for p in stage_packages() if module == p or module.startswith(p + ".")), None)


def layer(module: str) -> int:
    if module == "stxlib.cli" or module.startswith("stxlib.cli."):
        return CLI
    if module in ("stxlib.runner", "stxlib.sweep") or module.startswith(("stxlib.runner.", "stxlib.sweep.")):
        return RUNNER
    return STAGE if owning_stage(module) else FLOOR


def within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def fail_listing(title: str, arrows: list[Arrow]) -> None:
    if arrows:
        pytest.fail(title + "\n" + "\n".join(f"  {a}" for a in arrows), pytrace=False)


def internal(arrow: Arrow) -> bool:
    return arrow.target.startswith("stxlib")


# ---------------------------------------------------------------- the walker itself


def test_the_walker_sees_every_import_form(tmp_path: Path) -> None:
    root = tmp_path / "stxlib"
    for folder in ("cli", "data", "report"):
        (root / folder).mkdir(parents=True)
        (root / folder / "__init__.py").write_text("")
    (root / "__init__.py").write_text("")
    (root / "paths.py").write_text("")
    (root / "data" / "mixing.py").write_text("")
    (root / "report" / "pages.py").write_text(
        "import json\n"
        "import stxlib.paths as p\n"
        "from stxlib.data.mixing import mix_rows\n"
        "from .. import cli\n"
        "from . import pages\n"
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from stxlib.data import Row\n"
        "def late():\n"
        "    import importlib\n"
        "    from ..data import mixing\n"
        "    return importlib.import_module('stxlib.cli')\n"
    )
    arrows = imports_of(root / "report" / "pages.py", root)
    assert {a.source for a in arrows} == {"stxlib.report.pages"}
    assert [(a.line, a.target) for a in arrows if internal(a)] == [
        (2, "stxlib.paths"),
        (3, "stxlib.data.mixing"),
        (4, "stxlib.cli"),
        (5, "stxlib.report.pages"),
        (8, "stxlib.data"),
        (11, "stxlib.data.mixing"),
        (12, "stxlib.cli"),
    ]
    assert {a.target for a in arrows if not internal(a)} == {"json", "typing", "importlib"}


def test_layers_are_classified_from_the_registry() -> None:
    assert layer("stxlib.cli.run_cmd") == CLI and layer("stxlib.runner.pipeline") == RUNNER
    assert layer("stxlib.sweep.submit") == RUNNER  # sweeps run `stx run` per point: runner level
    for stage in STAGES:
        assert layer(stage.package) == STAGE and layer(stage.package + ".x") == STAGE
    assert layer("stxlib.config.params") == FLOOR and layer("stxlib.stages") == FLOOR
    assert layer("stxlib") == FLOOR
    # prefix, not substring: a floor package named like a stage is still the floor
    if "stxlib.train" in stage_packages():
        assert layer("stxlib.training.session") == FLOOR
    assert len(all_arrows()) > 100, "the walker found too few imports to be reading stxlib"


# ---------------------------------------------------------------- the rules


def test_no_import_climbs() -> None:
    climbing = [a for a in all_arrows() if internal(a) and layer(a.target) > layer(a.source)]
    fail_listing(
        "imports that climb (layers: cli 4 > runner 3 > stage 2 > floor 1; move the code down or the import up):",
        climbing,
    )


def test_stage_packages_do_not_import_each_other() -> None:
    crossing = [
        a
        for a in all_arrows()
        if internal(a)
        and owning_stage(a.source)
        and owning_stage(a.target)
        and owning_stage(a.source) != owning_stage(a.target)
    ]
    fail_listing(
        "stage -> stage imports (share the code through the floor, or read the other stage's files):", crossing
    )


def test_config_imports_no_stage() -> None:
    bad = [a for a in all_arrows() if within(a.source, "stxlib.config") and internal(a) and layer(a.target) > FLOOR]
    fail_listing("config imports above the floor (stage-specific checks go in the stage's check_config):", bad)


def test_report_reads_artifacts_only() -> None:
    report = [a for a in all_arrows() if within(a.source, "stxlib.report")]
    bad = [
        a
        for a in report
        if (internal(a) and layer(a.target) > FLOOR and not within(a.target, "stxlib.report"))
        or any(within(a.target, f) for f in REPORT_FORBIDDEN)
        or a.target in REPORT_FORBIDDEN_THIRD_PARTY
    ]
    fail_listing(
        "the report imports only the floor and never tokenises or loads a model (read the run folder's files):", bad
    )


def test_every_package_with_run_stage_is_registered() -> None:
    registered = {stage.package for stage in STAGES}
    unregistered = sorted(set(stage_packages()) - registered)
    assert not unregistered, f"packages with run_stage but no Stage entry in stxlib/stages.py: {unregistered}"
    missing = sorted(p for p in registered if not is_module(p))
    assert not missing, f"registry packages that do not exist: {missing}"


def test_config_and_registry_import_without_heavy_libraries() -> None:
    code = (
        "import sys, stxlib.config, stxlib.stages, stxlib.paths, stxlib.hub\n"
        "heavy = ('torch', 'transformers', 'huggingface_hub', 'datasets', 'matplotlib', 'pandas')\n"
        "print(','.join(m for m in heavy if m in sys.modules))\n"
        "print(','.join(sorted(m for m in sys.modules if m.startswith('stxlib.'))))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True)
    heavy, loaded = out.stdout.splitlines()
    assert heavy == "", f"importing config/the registry loads {heavy}"
    stages_loaded = [m for m in loaded.split(",") if owning_stage(m) or layer(m) > FLOOR]
    assert not stages_loaded, f"importing config/the registry imports {stages_loaded}"
