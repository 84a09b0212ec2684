"""The run report (`report.html`, `plots/`) and the comparison page of several runs.

Everything is rebuilt from the files a run folder holds; no stage is re-run.
"""

from stxlib.report.artifacts import Issue, RunArtifacts, RunFolderError, StageInfo, load_run
from stxlib.report.figures import PlotFile, ReportOptions, build_plots
from stxlib.report.page import Report, ReportIncompleteError, build_report, render_report, write_report

__all__ = [
    "Issue",
    "PlotFile",
    "Report",
    "ReportIncompleteError",
    "ReportOptions",
    "RunArtifacts",
    "RunFolderError",
    "StageInfo",
    "build_plots",
    "build_report",
    "load_run",
    "render_report",
    "write_report",
]
