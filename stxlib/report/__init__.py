"""Stage 4: the run report (`report.html`, `plots/`) and the comparison page of several runs.

Everything is rebuilt from the files a run folder holds; no stage is re-run, nothing is tokenised or
loaded. `run_stage(config, paths)` is what notebook 04 calls, `build_report(run_dir)` what `stx report` does.
"""

from stxlib.report.artifacts import Issue, RunArtifacts, RunFolderError, StageInfo
from stxlib.report.figures import PlotFile
from stxlib.report.load import load_run
from stxlib.report.page import (
    Report,
    ReportIncompleteError,
    build_plots,
    build_report,
    render_report,
    run_stage,
    write_report,
)

__all__ = [
    "Issue",
    "PlotFile",
    "Report",
    "ReportIncompleteError",
    "RunArtifacts",
    "RunFolderError",
    "StageInfo",
    "build_plots",
    "build_report",
    "load_run",
    "render_report",
    "run_stage",
    "write_report",
]
