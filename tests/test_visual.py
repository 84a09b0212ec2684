"""The pages a researcher opens, in a real browser (headless Chromium): `report.html`, the `stx compare` page
and a rendered stage notebook (04, executed by papermill and rendered as `stx run` does) of synthetic runs.
Each page: every image decodes, every link resolves, nothing is wider than a 1280 px window, and a full-page
screenshot is written to `results/visual/` (gitignored; CI keeps it as an artifact). Skipped, with the
reason, where Chromium is not installed (`make visual-deps` installs Debian's `chromium`)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote

import pytest
from browser import find_chromium, inspect, screenshot
from helpers import REPO, PageLinks, execute_notebook
from synthetic_run import make_run

from stxlib.report.compare import build_comparison
from stxlib.report.page import build_report
from stxlib.runner.render import render_html

CHROMIUM = find_chromium()
SHOTS = REPO / "results" / "visual"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed: `make visual-deps` (Debian's chromium)"),
]


def local_links(page: Path) -> list[str]:
    """Relative links of `page` that point at no file (external and in-page links are not followed here)."""
    parser = PageLinks()
    parser.feed(page.read_text(encoding="utf-8"))
    dead = []
    for href in parser.hrefs:
        if "://" in href or href.startswith(("#", "mailto:", "data:")):
            continue
        if not (page.parent / unquote(href.split("#", 1)[0])).exists():
            dead.append(href)
    return dead


def check_page(page: Path, name: str) -> None:
    assert CHROMIUM is not None
    facts = inspect(CHROMIUM, page)
    png = screenshot(CHROMIUM, page, SHOTS / f"{name}.png", facts.height)
    assert png.stat().st_size > 10_000, f"{png} looks empty"
    assert facts.images > 0 and facts.broken_images == [], facts.broken_images
    assert not facts.overflows, f"{name}: {facts.scroll_width} px wide in a {facts.client_width} px window"
    assert facts.wide_elements == [], f"{name}: elements wider than the window: {facts.wide_elements}"
    assert facts.dead_anchors == [] and local_links(page) == [], (facts.dead_anchors, local_links(page))


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("visual")
    first = make_run(root, "openorca_stx")
    second = make_run(root, "openorca_stx_r16", best_at=250, overrides=["lora.r=16"])
    return first, second


def test_report_page_in_a_browser(runs) -> None:
    first, _ = runs
    report = build_report(first.root)
    check_page(report.path, "report")


def test_compare_page_in_a_browser(runs) -> None:
    first, second = runs
    for paths in runs:
        build_report(paths.root)  # the compare page links each run's report
    check_page(build_comparison([first.root, second.root]).path, "compare")


def test_rendered_stage_notebook_in_a_browser(runs) -> None:
    first, _ = runs
    executed = first.root / "04_loss_curves.ipynb"
    execute_notebook("04_loss_curves", executed, params_file=str(first.params), run_dir=str(first.root))
    html = render_html(executed, first.root / "04_loss_curves.html")
    check_page(html, "notebook_04")
