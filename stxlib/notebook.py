"""What every stage notebook calls first: load params, find the run folder, seed, say what runs."""

from __future__ import annotations

import os
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path

from stxlib.config import StxConfig, load_params
from stxlib.paths import RunPaths
from stxlib.stages import get_stage


@dataclass
class StageContext:
    stage: str
    config: StxConfig
    paths: RunPaths


def start_stage(
    stage: str, params_file: str | Path, run_dir: str = "", overrides: str | list[str] = ""
) -> StageContext:
    """Load and validate the params (with optional `a.b=c` overrides) and create the run folder.

    Interactive use leaves `run_dir` empty (the folder is `<run.output_root>/<run.name>`);
    `stx run` injects the resolved params file and the run folder.
    """
    get_stage(stage)  # a registered stage name (stxlib/stages.py), or a ValueError listing them
    # tqdm.auto falls back to text bars without ipywidgets (they also render in the HTML reports); say nothing
    warnings.filterwarnings("ignore", message="IProgress not found")
    if os.environ.get("STX_RUN_DIR"):  # set by `stx run` for its kernels only
        text_progress_bars()
    config = load_params(params_file, overrides)
    paths = RunPaths.for_config(config, run_dir or None)
    paths.root.mkdir(parents=True, exist_ok=True)
    print(f"stage {stage}: run {config.run.name!r}, seed {config.run.seed}, folder {paths.root}")
    return StageContext(stage, config, paths)


def text_progress_bars() -> None:
    """Make `tqdm.auto` bars text bars for this kernel (`stx run` calls it through `start_stage`).

    A widget bar reaches neither the terminal of `stx run` (it streams the kernel's stdout/stderr) nor the saved
    notebook (papermill keeps no widget state, so the HTML would show its first frame); a text bar reaches both,
    and the runner keeps only its final state in the notebook. Modules that bound `tqdm.auto.tqdm` at import
    (transformers' progress callback) are updated too.
    """
    import tqdm.auto
    import tqdm.autonotebook
    import tqdm.std

    for module in (tqdm.auto, tqdm.autonotebook):
        module.tqdm, module.trange = tqdm.std.tqdm, tqdm.std.trange  # type: ignore[attr-defined]
    callbacks = sys.modules.get("transformers.trainer_callback")
    if callbacks is not None:
        callbacks.tqdm = tqdm.std.tqdm  # type: ignore[attr-defined]
