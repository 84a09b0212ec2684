"""Self-contained HTML: inline CSS, images as base64 data URIs, relative links, every string escaped."""

from __future__ import annotations

import base64
import html
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import quote

from stxlib.report.cells import Cell, Table

CSS = """
body { font-family: -apple-system, "Segoe UI", "Hiragino Sans", "Noto Sans JP", sans-serif; margin: 0 auto;
       max-width: 1180px; padding: 1.5em 2em 4em; color: #1f2328; line-height: 1.45; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; } h2 { border-bottom: 1px solid #d0d7de; padding-bottom: 0.2em;
     margin-top: 2em; } h3 { margin-bottom: 0.3em; }
.sub { color: #59636e; margin-top: 0; }
table { border-collapse: collapse; margin: 0.6em 0 0.4em; font-size: 0.92em; }
th, td { border: 1px solid #d0d7de; padding: 0.3em 0.6em; vertical-align: top; text-align: left; }
th { background: #f6f8fa; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
.pos { color: #1a7f37; } .neg { color: #cf222e; } .bad { color: #cf222e; } .warn { color: #9a6700; }
.muted { color: #8c959f; } .strong { font-weight: 600; } .pre { white-space: pre-wrap; font-family: monospace;
     font-size: 0.9em; max-width: 42em; }
.note { color: #59636e; font-size: 0.88em; margin: 0 0 1em; }
.issues { border: 1px solid #d4a72c; background: #fff8c5; padding: 0.6em 1em; border-radius: 6px; }
.issues.serious { border-color: #cf222e; background: #ffebe9; }
figure { margin: 1em 0; } figure img { max-width: 100%; height: auto; border: 1px solid #d0d7de; }
figcaption { color: #59636e; font-size: 0.88em; }
pre.params { background: #f6f8fa; padding: 0.8em; overflow-x: auto; font-size: 0.85em; }
.grid { display: flex; flex-wrap: wrap; gap: 2em; } .grid > div { flex: 1 1 420px; }
a { color: #0969da; }
"""


def esc(text: object) -> str:
    """HTML-escape any value's string form (quotes included, so it is safe in attributes too)."""
    return html.escape(str(text), quote=True)


def href(relative: str) -> str:
    """A relative link target, percent-encoded and escaped for an attribute."""
    return esc(quote(relative, safe="/#?=&."))


def link(text: str, relative: str) -> str:
    return f'<a href="{href(relative)}">{esc(text)}</a>'


def render_cell(cell: Cell | str, tag: str = "td", numeric: bool = False) -> str:
    cell = cell if isinstance(cell, Cell) else Cell(str(cell))
    classes = " ".join(c for c in (cell.cls, "num" if numeric else "") if c)
    attr = f' class="{esc(classes)}"' if classes else ""
    body = link(cell.text, cell.href) if cell.href else esc(cell.text)
    return f"<{tag}{attr}>{body}</{tag}>"


def render_table(table: Table) -> str:
    head = "".join(f"<th>{esc(c)}</th>" for c in table.columns)
    body = "\n".join(
        "<tr>" + "".join(render_cell(c, numeric=i in table.numeric) for i, c in enumerate(row)) + "</tr>"
        for row in table.rows
    )
    note = f'<p class="note">{esc(table.note)}</p>' if table.note else ""
    if not table.rows:
        return note or '<p class="note">nothing to show</p>'
    return f"<table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n</tbody>\n</table>\n{note}"


def image_data_uri(path: Path) -> str:
    mime = {".png": "image/png", ".svg": "image/svg+xml", ".jpg": "image/jpeg"}.get(path.suffix.lower(), "image/png")
    return f"data:{mime};base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def figure(path: Path, caption: str, alt: str, links: Iterable[tuple[str, str]] = ()) -> str:
    """An embedded image with a caption and relative links (e.g. to the PNG/SVG files)."""
    extra = " · ".join(link(text, target) for text, target in links)
    return (
        f'<figure><img src="{image_data_uri(path)}" alt="{esc(alt)}">'
        f"<figcaption>{esc(caption)}{' — ' + extra if extra else ''}</figcaption></figure>"
    )


def details(summary: str, body: str) -> str:
    """A collapsed block: `summary` shown, `body` (HTML) on click."""
    return f"<details><summary>{esc(summary)}</summary>\n{body}\n</details>"


def paragraph(text: str, cls: str = "") -> str:
    return f'<p class="{esc(cls)}">{esc(text)}</p>' if cls else f"<p>{esc(text)}</p>"


def issues_box(lines: list[str], serious: bool, title: str) -> str:
    if not lines:
        return ""
    items = "".join(f"<li>{esc(line)}</li>" for line in lines)
    return f'<div class="issues{" serious" if serious else ""}"><strong>{esc(title)}</strong><ul>{items}</ul></div>'


def page(title: str, subtitle: str, body: str) -> str:
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{esc(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
        f'<h1>{esc(title)}</h1>\n<p class="sub">{esc(subtitle)}</p>\n{body}\n</body>\n</html>\n'
    )
