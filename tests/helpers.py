"""Shared test helpers (import them: `from helpers import SMOKE, run_stx`; test modules never import each
other). Synthetic run folders live in `synthetic_run.py`; fixtures (tiny model, shared folder) in conftest."""

from __future__ import annotations

import base64
import os
import struct
import subprocess
import sys
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote

import nbformat

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures"
SMOKE = REPO / "params" / "smoke.yaml"
CARD = REPO / "params" / "openorca_stx.yaml"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def shared_dir() -> Path:
    """`../shared` beside the checkout (CI places it there); STX_SHARED overrides."""
    return Path(os.environ.get("STX_SHARED", REPO.parent / "shared"))


def run_stx(*args: str, cwd: Path = REPO, timeout: int = 900) -> subprocess.CompletedProcess[str]:
    """Run the `stx` console script of this interpreter's environment."""
    exe = Path(sys.executable).with_name("stx")
    return subprocess.run([str(exe), *args], cwd=cwd, capture_output=True, text=True, timeout=timeout)


# ---------------------------------------------------------------- notebooks


def write_notebook(path: Path, *cells: str) -> Path:
    """A stage notebook with the standard `parameters` cell followed by `cells` (code), for runner tests."""
    parameters = nbformat.v4.new_code_cell('params_file = "../params/smoke.yaml"\nrun_dir = ""\noverrides = ""')
    parameters.metadata["tags"] = ["parameters"]
    nb = nbformat.v4.new_notebook(cells=[parameters, *(nbformat.v4.new_code_cell(c) for c in cells)])
    nb.metadata["kernelspec"] = {"name": "stx", "display_name": "Python (stx)", "language": "python"}
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def execute_notebook(stem: str, output: Path, **parameters: str) -> nbformat.NotebookNode:
    """Run `notebooks/<stem>.ipynb` through papermill as `stx run` does (the stx kernel, cwd `notebooks/`),
    write the executed copy to `output` and return it; a failing cell raises papermill's error."""
    import papermill

    from stxlib.runner.kernel import ensure_kernel

    papermill.execute_notebook(
        str(REPO / "notebooks" / f"{stem}.ipynb"),
        str(output),
        parameters=parameters,
        kernel_name=ensure_kernel(),
        cwd=str(REPO / "notebooks"),
        progress_bar=False,
    )
    return nbformat.read(output, as_version=4)


def code_outputs(nb: nbformat.NotebookNode) -> list[dict]:
    """Every output of the notebook's code cells, in order; fails on an error output."""
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    errors = [o for o in outputs if o.get("output_type") == "error"]
    assert not errors, [f"{e.get('ename')}: {e.get('evalue')}" for e in errors]
    return outputs


# ---------------------------------------------------------------- images and pages


def png_size(path: Path) -> tuple[int, int]:
    """Width and height of a PNG that decodes completely (header and pixels agree)."""
    import matplotlib.pyplot as plt

    data = path.read_bytes()
    assert data[:8] == PNG_MAGIC, f"{path} is not a PNG"
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    pixels = plt.imread(path)
    assert pixels.shape[:2] == (height, width) and pixels.std() > 0  # not a blank image
    return width, height


def assert_svg(path: Path) -> None:
    root = ET.parse(path).getroot()
    assert root.tag.endswith("svg"), f"{path} is not an SVG document"


class PageLinks(HTMLParser):
    """Every href and src of a page, and the tags used."""

    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.srcs: list[str] = []
        self.tags: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        for name, value in attrs:
            if name == "href" and value is not None:
                self.hrefs.append(value)
            if name == "src" and value is not None:
                self.srcs.append(value)


def check_self_contained(page: Path) -> PageLinks:
    """No external resources, every image embedded and decodable, every link a relative file that exists."""
    parser = PageLinks()
    parser.feed(page.read_text(encoding="utf-8"))
    assert not parser.tags & {"script", "link", "iframe"}, parser.tags
    for src in parser.srcs:
        assert src.startswith("data:image/png;base64,"), src[:60]
        data = base64.b64decode(src.split(",", 1)[1])
        assert data[:8] == PNG_MAGIC
    for href in parser.hrefs:
        assert "://" not in href and not href.startswith("/"), href
        target = page.parent / unquote(href.split("#", 1)[0])
        assert target.is_file(), f"broken link {href!r} in {page.name}"
    return parser


# ---------------------------------------------------------------- models


def make_adapter(model_dir: Path, out: Path) -> Path:
    """A real (randomly initialised, non-zero) LoRA adapter for the tiny model, saved with peft."""
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(model_dir)
    config = LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"], init_lora_weights=False)
    get_peft_model(model, config).save_pretrained(out)
    return out
