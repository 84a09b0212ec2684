"""What notebook 04 shows besides the tables: the build summary and the figures (IPython objects)."""

from __future__ import annotations

from typing import Any

from stxlib.report.page import Report


def summary_text(report: Report) -> str:
    """Where the page is and, one line each, what is damaged (problem) or not produced yet."""
    lines = [f"report: {report.path}"]
    lines += [("problem: " if i.serious else "not produced yet: ") + str(i) for i in report.run.issues]
    return "\n".join(lines)


def figure(report: Report, name: str) -> Any:
    """The plot `name` (e.g. `loss_curves`, `jglue_comparison`, `data_mix`) as an image, or a note."""
    from IPython.display import Image, Markdown

    plot = report.plots.get(name)
    if plot is None:
        return Markdown(f"*no {name} plot: its input is not available*")
    return Image(filename=str(plot.png))
