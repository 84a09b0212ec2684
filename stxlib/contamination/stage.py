"""Stage `contamination`: n-gram overlap between the run's training text and its evaluation sets, written to
`contamination.json` at the top of the run folder and `plots/contamination.png` (docs/statistics.md).

Training: the run's `data/train.jsonl` (`contamination.run_data`) and `contamination.training_files`.
Evaluation sets: JGLUE validation files (`contamination.jglue_dir`, else `eval.data_dir`), llm-jp-eval files
(`contamination.llm_jp_eval_dir`), MT-Bench questions (`contamination.mt_bench_questions`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from stxlib.config import ParamsError, StxConfig
from stxlib.contamination.check import check_overlap
from stxlib.contamination.sources import (
    ContaminationDataError,
    EvalSet,
    TrainingSource,
    jglue_sets,
    llm_jp_eval_sets,
    mt_bench_set,
)
from stxlib.contamination.views import save_contamination_plot
from stxlib.io import write_json
from stxlib.paths import RunPaths

CONTAMINATION_JSON = "contamination.json"


def contamination_file(paths: RunPaths) -> Path:
    return paths.root / CONTAMINATION_JSON


def training_sources(config: StxConfig, paths: RunPaths) -> list[TrainingSource]:
    section = config.contamination
    sources = []
    if section.run_data and paths.train_file.is_file():
        sources.append(TrainingSource("data/train.jsonl", paths.train_file, "jsonl", ("input", "output")))
    for index, entry in enumerate(section.training_files):
        path = Path(entry.path)
        if not path.is_file():
            raise ContaminationDataError(
                f"contamination.training_files.{index}.path: {path} not found (a JSON-lines training file)"
            )
        sources.append(TrainingSource(entry.name or path.name, path, entry.format, tuple(entry.fields)))
    return sources


def eval_sets(config: StxConfig) -> tuple[list[EvalSet], list[str]]:
    """The evaluation sets to check, and notes on what was left out and why."""
    section, notes = config.contamination, []
    sets: list[EvalSet] = []
    jglue_dir = section.jglue_dir or config.eval.data_dir
    if jglue_dir:
        found = jglue_sets(jglue_dir, section.jglue_split)
        if not found:
            notes.append(f"no JGLUE {section.jglue_split} files under {jglue_dir}")
        sets += found
    else:
        notes.append("JGLUE left out: eval.data_dir is null (hub data) and contamination.jglue_dir is not set")
    if section.llm_jp_eval_dir:
        sets += llm_jp_eval_sets(section.llm_jp_eval_dir)
    sets += [mt_bench_set(path) for path in section.mt_bench_questions]
    return sets, notes


def check_config(config: StxConfig) -> None:
    """Params errors before any stage runs: missing input files."""
    section = config.contamination
    for index, entry in enumerate(section.training_files):
        if not Path(entry.path).is_file():
            raise ParamsError(f"contamination.training_files.{index}.path: {entry.path} does not exist")
    for index, path in enumerate(section.mt_bench_questions):
        if not Path(path).is_file():
            raise ParamsError(f"contamination.mt_bench_questions.{index}: {path} does not exist")
    for key in ("jglue_dir", "llm_jp_eval_dir"):
        value = getattr(section, key)
        if value and not Path(value).is_dir():
            raise ParamsError(f"contamination.{key}: {value} is not a folder")


def run_stage(config: StxConfig, paths: RunPaths) -> dict[str, Any]:
    """Check every training source against every evaluation set; write and return `contamination.json`."""
    check_config(config)
    training = training_sources(config, paths)
    if not training:
        raise ContaminationDataError(
            f"no training text: {paths.train_file} does not exist (run the data stage first) and "
            "contamination.training_files is empty"
        )
    sets, notes = eval_sets(config)
    if not sets:
        raise ContaminationDataError(
            "no evaluation sets to check: "
            + "; ".join(notes or ["set contamination.jglue_dir, llm_jp_eval_dir or mt_bench_questions"])
        )
    section = config.contamination
    result = check_overlap(training, sets, n=section.n, examples=section.examples)
    result["notes"] = notes
    write_json(contamination_file(paths), result)
    save_contamination_plot(result, paths.plots)
    return result
