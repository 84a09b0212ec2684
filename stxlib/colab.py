"""Google Colab: what the set-up cell of every stage notebook does after it has installed stx.

The cell (written by `scripts/add_colab_cell.py`, see docs/colab.md) comes right after the parameters cell and
does nothing outside Colab. Inside Colab it clones the repository into `STX_CHECKOUT` (default `/content/stx`),
installs it editable next to Colab's own CUDA PyTorch (pinned to the installed version, so pip never replaces
it), and then calls `setup_colab`, which

- finds the params file (as given, else relative to the checkout's `notebooks/`, else in its `params/`);
- mounts Google Drive and points `run.output_root` there (`/content/drive/MyDrive/stx/results`), so the run
  folder, its checkpoints included, survives a runtime reset; running the notebook again after a reset finds
  the same folder and training resumes from its last complete checkpoint (`train.resume`, on by default);
- leaves everything alone when `run_dir` is set (`stx run` chose the folder).

Only the standard library is imported at module level; the params are read on the first call.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

#: The GitHub repository the notebooks install from and the "Open in Colab" badges point to. The one place
#: to change it (then run `python scripts/add_colab_cell.py` to rewrite the notebooks' set-up cells).
GITHUB_REPO = "stx-project/stx"
GITHUB_BRANCH = "main"
#: Where the set-up cell clones the repository (environment variable `STX_CHECKOUT` overrides it).
DEFAULT_CHECKOUT = "/content/stx"
CHECKOUT_ENV = "STX_CHECKOUT"
#: Where `google.colab.drive.mount` mounts Drive, and the folder under "My Drive" that holds stx runs.
DRIVE_MOUNT = "/content/drive"
DRIVE_FOLDER = "stx/results"
#: The metadata tag of the set-up cell (the script finds and replaces the cell by it).
CELL_TAG = "colab-setup"


def in_colab() -> bool:
    """Whether this kernel is a Google Colab runtime (Colab's kernel imports `google.colab` at start)."""
    return "google.colab" in sys.modules


def repository_url() -> str:
    return f"https://github.com/{GITHUB_REPO}.git"


def badge_url(notebook: str) -> str:
    """The "Open in Colab" link of `notebooks/<notebook>.ipynb` on GitHub."""
    return f"https://colab.research.google.com/github/{GITHUB_REPO}/blob/{GITHUB_BRANCH}/notebooks/{notebook}.ipynb"


def checkout_dir() -> Path:
    return Path(os.environ.get(CHECKOUT_ENV, DEFAULT_CHECKOUT))


def find_params(params_file: str | Path, checkout: Path | None = None) -> Path:
    """`params_file` as given when it exists; else relative to the checkout's `notebooks/` (where the notebook's
    own relative default points); else the file of that name in the checkout's `params/`."""
    checkout = checkout or checkout_dir()
    given = Path(params_file).expanduser()
    candidates = [given]
    if not given.is_absolute():
        candidates.append(checkout / "notebooks" / given)
    candidates.append(checkout / "params" / given.name)
    for candidate in candidates:
        if candidate.is_file():
            return candidate.resolve()
    available = sorted(p.name for p in (checkout / "params").glob("*.yaml"))
    raise FileNotFoundError(
        f"params file {params_file!r} not found (looked at {', '.join(str(c) for c in candidates)}); set "
        f"params_file in the parameters cell to one of {', '.join(available) or 'your own YAML file'} "
        f"(e.g. '../params/openorca_stx.yaml' for the card's recipe)"
    )


def mount_drive(mount_point: str | None = None) -> Path:
    """Mount Google Drive (Colab asks for permission once per runtime) and return the stx results folder on it."""
    from google.colab import drive  # the Colab runtime's own module

    mount = Path(mount_point or DRIVE_MOUNT)
    if not (mount / "MyDrive").is_dir():
        drive.mount(str(mount))
    root = mount / "MyDrive" / DRIVE_FOLDER
    root.mkdir(parents=True, exist_ok=True)
    return root


def add_override(overrides: str, item: str) -> str:
    """Append `item` to a semicolon-separated overrides string (the notebooks' `overrides` parameter)."""
    return "; ".join(part for part in (overrides.strip().rstrip(";").strip(), item) if part)


def resume_status(run_root: Path) -> list[str]:
    """Lines saying what an existing run folder holds: finished stages and the checkpoint training resumes from."""
    from stxlib.io import read_json
    from stxlib.paths import RunPaths
    from stxlib.training.checkpoints import last_complete_checkpoint

    paths = RunPaths(run_root)
    lines = []
    if paths.manifest.is_file():
        stages = read_json(paths.manifest).get("stages", {})
        done = [name for name, entry in stages.items() if entry.get("status") == "done"]
        if done:
            lines.append(f"stages already done there: {', '.join(done)}")
    for stage in ("train", "pretrain", "sft", "dpo"):
        dirs = paths.training(stage)
        last = last_complete_checkpoint(dirs.checkpoints)
        if dirs.best_adapter.is_dir() or dirs.final.is_dir():
            lines.append(f"{stage}: finished (its outputs are there)")
        elif last is not None:
            lines.append(f"{stage}: will resume from {last.name} (optimizer, scheduler and RNG state on Drive)")
    return lines


def setup_colab(
    params_file: str, run_dir: str = "", overrides: str = "", *, drive: bool = True
) -> tuple[str, str, str]:
    """The notebook's `(params_file, run_dir, overrides)` for this Colab runtime (see the module docstring).

    `drive=False` keeps the run folder on the runtime's local disk (faster, but lost with the runtime).
    """
    if run_dir:
        print(f"colab: the run folder was chosen by the caller ({run_dir}); nothing to change")
        return params_file, run_dir, overrides
    from stxlib.config import load_params
    from stxlib.paths import RunPaths

    params = find_params(params_file)
    if drive:
        root = mount_drive()
        overrides = add_override(overrides, f"run.output_root={root}")
    config = load_params(params, overrides)
    run_root = RunPaths.for_config(config).root
    where = "on Google Drive" if drive else "on this runtime's disk (lost on a reset; drive=True keeps it)"
    print(f"colab: params {params}\ncolab: run folder {run_root} {where}")
    if run_root.is_dir():
        for line in resume_status(run_root):
            print(f"colab: {line}")
    return str(params), "", overrides
