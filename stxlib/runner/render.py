"""Executed notebook -> self-contained HTML."""

from __future__ import annotations

from pathlib import Path

from stxlib.io import atomic_write_text


def render_html(notebook: Path, html: Path, *, exclude_input: bool = False) -> Path:
    """Render with images embedded, so the page opens from disk or a web server alike."""
    import nbformat
    from nbconvert import HTMLExporter

    nb = nbformat.read(notebook, as_version=4)
    exporter = HTMLExporter(embed_images=True, exclude_input=exclude_input, exclude_input_prompt=exclude_input)
    body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": notebook.stem}})
    atomic_write_text(html, body)
    return html
