"""Headless Chromium for the visual tests: load a page at a fixed width, report what a reader would see
broken (images that did not decode, the page wider than the window, elements sticking out of it), and take
a full-page screenshot. Debian's `chromium` (`make visual-deps`); `find_chromium()` is None without it."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

WIDTH = 1280
MAX_HEIGHT = 16000
MARKER = "stx-visual-probe"

# Runs after load (and after every image decoded): the facts the test checks, as JSON in a <pre>.
PROBE = f"""
<script>
window.addEventListener("load", () => {{
  const root = document.documentElement;
  const width = root.clientWidth;
  const broken = [...document.images].filter(i => !i.complete || i.naturalWidth === 0)
    .map(i => (i.getAttribute("alt") || i.src.slice(0, 60)));
  const wide = [...document.body.querySelectorAll("*")].filter(e => {{
      const r = e.getBoundingClientRect();
      return r.width > 0 && r.right > width + 1 && getComputedStyle(e).position !== "fixed";
    }}).filter(e => !e.closest("pre, .jp-OutputArea-output"))  // scrollable boxes may be wider
    .slice(0, 10).map(e => e.tagName.toLowerCase() + (e.className ? "." + String(e.className).split(" ")[0] : ""));
  const out = document.createElement("pre");
  out.id = "{MARKER}";
  out.textContent = JSON.stringify({{
    scrollWidth: root.scrollWidth, clientWidth: width, height: root.scrollHeight,
    images: document.images.length, broken: broken, wide: wide,
    anchors: [...document.querySelectorAll("a[href^='#']")].map(a => a.getAttribute("href"))
      .filter(h => h.length > 1 && !document.getElementById(h.slice(1))  // as browsers look fragments up:
        && !document.getElementById(decodeURIComponent(h.slice(1)))),   // raw, then percent-decoded
  }});
  document.body.appendChild(out);
}});
</script>
"""


@dataclass
class PageFacts:
    scroll_width: int
    client_width: int
    height: int
    images: int
    broken_images: list[str]
    wide_elements: list[str]
    dead_anchors: list[str]

    @property
    def overflows(self) -> bool:
        return self.scroll_width > self.client_width


def find_chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if path := shutil.which(name):
            return path
    return None


def _run(chromium: str, args: list[str], timeout: int = 120) -> str:
    with tempfile.TemporaryDirectory(prefix="stx-chromium-") as profile:
        command = [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--hide-scrollbars",
            "--no-first-run",
            f"--user-data-dir={profile}",
            *args,
        ]
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"chromium failed ({done.returncode}): {done.stderr[-2000:]}")
    return done.stdout


def inspect(chromium: str, page: Path) -> PageFacts:
    """Load a copy of `page` (same folder, so relative links and images resolve) with the probe added."""
    text = page.read_text(encoding="utf-8")
    probe_page = page.with_name(f".{page.stem}.probe.html")
    body_end = text.lower().rfind("</body>")
    probe_page.write_text(text[:body_end] + PROBE + text[body_end:] if body_end >= 0 else text + PROBE, "utf-8")
    try:
        dom = _run(
            chromium,
            [f"--window-size={WIDTH},900", "--virtual-time-budget=10000", "--dump-dom", probe_page.as_uri()],
        )
    finally:
        probe_page.unlink()
    found = re.search(rf'<pre id="{MARKER}">(.*?)</pre>', dom, re.S)
    if not found:
        raise AssertionError(f"the probe did not run in {page.name} (no #{MARKER} in the dumped DOM)")
    facts = json.loads(
        found.group(1).replace("&quot;", '"').replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    )
    return PageFacts(
        facts["scrollWidth"],
        facts["clientWidth"],
        facts["height"],
        facts["images"],
        facts["broken"],
        facts["wide"],
        facts["anchors"],
    )


def screenshot(chromium: str, page: Path, png: Path, height: int) -> Path:
    """A full-page PNG of `page`, `WIDTH` pixels wide and `height` high (capped at `MAX_HEIGHT`)."""
    png.parent.mkdir(parents=True, exist_ok=True)
    png.unlink(missing_ok=True)
    size = f"--window-size={WIDTH},{max(600, min(height, MAX_HEIGHT))}"
    _run(chromium, [size, "--virtual-time-budget=10000", f"--screenshot={png}", page.as_uri()])
    if not png.is_file():
        raise AssertionError(f"chromium wrote no screenshot of {page.name}")
    return png
