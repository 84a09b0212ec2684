#!/usr/bin/env python3
"""Insert (or refresh) the Google Colab set-up cell in stage notebooks: `python scripts/add_colab_cell.py [NB ...]`

Idempotent: the cell is found by its tag (`colab-setup`), so running the script again rewrites that cell's
source in place (e.g. after changing `stxlib.colab.GITHUB_REPO`) and never adds a second one. A new cell goes
right after the `parameters` cell, so papermill still sees the parameters cell first and the set-up cell runs
after the injected values. Without arguments every `notebooks/*.ipynb` is processed. `--check` changes nothing
and exits 1 when a notebook lacks the cell or holds an outdated one. `--badges` prints the README's badge table.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from stxlib import colab  # noqa: E402  (the checkout's own stxlib)


def cell_source() -> str:
    """The set-up cell: plain Python (no magics) so that it also runs, as a no-op, under `stx run`."""
    return f'''# Google Colab set-up: does nothing outside Colab. In Colab: installs stx from GitHub next to Colab's
# CUDA PyTorch (kept), finds the params file and keeps the run folder on Google Drive (drive=False: local
# disk, lost on a runtime reset). After a reset, run the notebook again: training resumes from the last
# checkpoint (docs/colab.md).
import sys

if "google.colab" in sys.modules:
    import os
    import subprocess
    from importlib.metadata import version

    STX_REPOSITORY = "{colab.repository_url()}"
    STX_CHECKOUT = os.environ.setdefault("{colab.CHECKOUT_ENV}", "{colab.DEFAULT_CHECKOUT}")
    if not os.path.isdir(STX_CHECKOUT):
        subprocess.run(["git", "clone", "-q", "--depth=1", STX_REPOSITORY, STX_CHECKOUT], check=True)
        subprocess.run(
            [sys.executable, "-m", "pip", "install", "-q", "-e", STX_CHECKOUT, "torch==" + version("torch")],
            check=True,
        )
    sys.path.insert(0, STX_CHECKOUT)
    from stxlib.colab import setup_colab

    params_file, run_dir, overrides = setup_colab(params_file, run_dir, overrides, drive=True)'''


def new_cell() -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell(cell_source())
    cell.metadata["tags"] = [colab.CELL_TAG]
    cell["id"] = colab.CELL_TAG  # a fixed id: notebooks that got the cell separately still merge cleanly
    return cell


def find_cell(nb: nbformat.NotebookNode, tag: str) -> int | None:
    return next((i for i, c in enumerate(nb.cells) if tag in c.get("metadata", {}).get("tags", [])), None)


def add_cell(path: Path, *, check: bool = False) -> str:
    """'added', 'updated', 'unchanged' (or, with `check`, what would happen) for one notebook."""
    nb = nbformat.read(path, as_version=4)
    index = find_cell(nb, colab.CELL_TAG)
    if index is not None:
        if nb.cells[index].source == cell_source():
            return "unchanged"
        status = "updated"
        if not check:
            nb.cells[index].source = cell_source()
    else:
        params = find_cell(nb, "parameters")
        if params is None:
            raise SystemExit(f"{path}: no cell tagged 'parameters'; add it first (see docs/architecture.md)")
        status = "added"
        if not check:
            nb.cells.insert(params + 1, new_cell())
    if not check:
        nbformat.write(nb, path)
    return status


def badge_table(notebooks: list[Path]) -> str:
    from stxlib.stages import STAGES

    stage = {s.notebook: s.name for s in STAGES}
    badge = "https://colab.research.google.com/assets/colab-badge.svg"
    rows = [
        f"| {stage.get(p.stem, '–')} | `{p.name}` | [![Open In Colab]({badge})]({colab.badge_url(p.stem)}) |"
        for p in notebooks
    ]
    return "\n".join(["| stage | notebook | |", "| --- | --- | --- |", *rows])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: every notebooks/*.ipynb")
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if a notebook needs the cell")
    parser.add_argument("--badges", action="store_true", help="print the README's 'Open in Colab' table")
    args = parser.parse_args(argv)
    notebooks = args.notebooks or sorted((REPO / "notebooks").glob("*.ipynb"))
    if args.badges:
        print(badge_table(notebooks))
        return 0
    outdated = 0
    for path in notebooks:
        status = add_cell(path, check=args.check)
        outdated += status != "unchanged"
        print(f"{path.name}: {status}{' (would be)' if args.check and status != 'unchanged' else ''}")
    return 1 if args.check and outdated else 0


if __name__ == "__main__":
    sys.exit(main())
