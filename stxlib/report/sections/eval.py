"""The eval stage's section (JGLUE): each model's headline numbers beside the model card's, the deltas, the
chart, how each model was evaluated, and every metric (from `eval/<label>/results.json`).

Headline numbers are read from each results file's `headline` block, which the eval stage writes
(`{"<task>": {"metric", "scale", "value"}}`: JSQuAD exact match × 0.01, `acc` otherwise); the card's
numbers come from `stxlib.published`. A results file without the block (written before stx recorded
it) shows dashes and a note to re-run the eval stage: the report does not guess the headline rule.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from stxlib.plots.jglue import plot_jglue_comparison, short_task
from stxlib.published import CARD_MODEL_NAMES, CARD_RESULTS
from stxlib.report import html as h
from stxlib.report import intervals
from stxlib.report.artifacts import RunArtifacts
from stxlib.report.cells import DASH, Cell, Table, delta_cell, fmt
from stxlib.report.figures import PlotFile, figure_html, save_plot
from stxlib.report.sections import StageSection

STAGE = "eval"
RESULTS = "results.json"
RERUN = "re-run the eval stage (stx run PARAMS --stages eval --force) to record them"


def labels(run: RunArtifacts) -> list[str]:
    """The configured eval labels, then any other `eval/<label>/` holding a results file."""
    found = [m.label for m in run.config.eval.models] if run.config is not None else []
    root = run.paths.eval_root
    if root.is_dir():
        found += [d.name for d in sorted(root.iterdir()) if (d / RESULTS).is_file() and d.name not in found]
    return found


def results(run: RunArtifacts) -> dict[str, dict[str, Any] | None]:
    """label -> its results.json (None where absent or damaged)."""
    return {
        label: run.read_json(run.paths.eval_dir(label) / RESULTS, dict, stage=STAGE, check=_check_results)
        for label in labels(run)
    }


def read(run: RunArtifacts) -> None:
    """Read every results file; one written before the `headline` block existed is noted (not serious)."""
    for label in without_headline(run):
        path = run.paths.eval_dir(label) / RESULTS
        run.note(path, f"no headline numbers (written by an older stx): {RERUN}", False)


def _check_results(data: dict[str, Any]) -> None:
    if not isinstance(data.get("results"), dict):
        raise ValueError("key 'results' is missing or not an object of task -> metrics")
    for task, metrics in data["results"].items():
        if not isinstance(metrics, dict):
            raise ValueError(f"results[{task!r}] is not an object of metric -> value")
    headline = data.get("headline")
    if headline is None:
        return
    if not isinstance(headline, dict):
        raise ValueError("key 'headline' is not an object of task -> {metric, scale, value}")
    for task, entry in headline.items():
        if not isinstance(entry, dict) or not isinstance(entry.get("metric"), str):
            raise ValueError(f"headline[{task!r}] is not an object with 'metric', 'scale' and 'value'")


def evaluated(run: RunArtifacts) -> dict[str, dict[str, Any]]:
    """label -> the `results` mapping of each readable results.json."""
    return {label: data["results"] for label, data in results(run).items() if data is not None}


def eval_tasks(run: RunArtifacts) -> list[str]:
    """The configured tasks, then any other task found in a results.json."""
    tasks = list(run.config.eval.tasks) if run.config is not None else []
    for per_task in evaluated(run).values():
        tasks += [t for t in per_task if t not in tasks]
    return tasks


def _headlines(run: RunArtifacts) -> dict[str, Mapping[str, Any]]:
    """label -> the `headline` block of its results.json (readable files that have one)."""
    return {
        label: data["headline"]
        for label, data in results(run).items()
        if data and isinstance(data.get("headline"), dict)
    }


def without_headline(run: RunArtifacts) -> list[str]:
    """Labels whose results.json predates the `headline` block."""
    return [label for label, data in results(run).items() if data is not None and "headline" not in data]


def _value(entry: Any) -> float | None:
    value = entry.get("value") if isinstance(entry, Mapping) else None
    if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value):
        return None
    return float(value)


def run_scores(run: RunArtifacts, tasks: Sequence[str] | None = None) -> dict[str, dict[str, float | None]]:
    """label -> task -> headline value as results.json records it (None where not evaluated or not recorded)."""
    tasks = list(tasks) if tasks is not None else eval_tasks(run)
    headlines = _headlines(run)
    return {label: {t: _value(headlines.get(label, {}).get(t)) for t in tasks} for label in results(run)}


def headline_metric_name(runs: Sequence[RunArtifacts], task: str) -> str:
    """How the headline number of `task` is defined, from the first results file that records it
    (`exact_match / 100`, `acc`), or a dash."""
    for run in runs:
        for headline in _headlines(run).values():
            entry = headline.get(task)
            if isinstance(entry, Mapping) and isinstance(entry.get("metric"), str):
                metric, scale = entry["metric"], entry.get("scale", 1)
                if not isinstance(scale, int | float) or scale in (0, 1):
                    return metric
                inverse = 1 / scale
                return f"{metric} / {inverse:g}" if float(inverse).is_integer() else f"{metric} × {scale:g}"
    return DASH


def card_scores(labels: Sequence[str] | None = None) -> dict[str, dict[str, float]]:
    """The card's table (`stxlib.published`), restricted to `labels` when given."""
    return {k: dict(v) for k, v in CARD_RESULTS.items() if labels is None or k in labels}


def baseline_label(run: RunArtifacts, preferred: str = "base") -> str | None:
    found = list(results(run))
    if not found:
        return None
    return preferred if preferred in found else found[0]


def jglue_table(run: RunArtifacts, *, show_card: bool = True, baseline: str = "base") -> Table:
    """Per task: each model's headline value, its change from the baseline model, and the card's values."""
    tasks = eval_tasks(run)
    scores = run_scores(run, tasks)
    base = baseline_label(run, baseline)
    others = [label for label in scores if label != base]
    card = card_scores() if show_card else {}
    deltas = intervals.jglue(run, base) if base is not None else {}
    columns = ["task", "metric", *scores]
    columns += [f"Δ {label} − {base}" for label in others]
    columns += [f"card: {label}" for label in card]
    if "base" in card and "finetuned" in card:
        columns.append("card Δ finetuned − base")
    rows: list[list[Cell | str]] = []
    flags = task_flags(run)
    for task in tasks:
        mark = flags.get(task, "")
        name = Cell(f"{short_task(task)} {mark}", "warn") if mark else short_task(task)
        row: list[Cell | str] = [name, headline_metric_name([run], task)]
        row += [
            Cell(fmt(scores[label][task], 3), "" if scores[label][task] is not None else "muted") for label in scores
        ]
        row += [
            intervals.interval_cell(
                deltas.get(label, {}).get(task), delta_cell(scores[label][task], scores[base][task])
            )
            for label in others
        ]
        row += [Cell(fmt(card[label].get(task), 3)) for label in card]
        if "base" in card and "finetuned" in card:
            row.append(delta_cell(card["finetuned"].get(task), card["base"].get(task)))
        rows.append(row)
    note = "JSQuAD: exact match / 100; other tasks: accuracy (the card's convention)."
    if card:
        names = "; ".join(f"{label} = {CARD_MODEL_NAMES.get(label, label)}" for label in card)
        note += f" Card columns: the lightblue/openorca_stx model card ({names}), 13B models, full validation sets."
    limit = run.config.eval.limit if run.config is not None else None
    if limit is not None:
        note += f" This run evaluated only the first {limit} documents per task (eval.limit)."
    if any(STAND_IN in mark for mark in flags.values()):
        note += f" {STAND_IN} few-shot prompts are stand-ins, NOT jp-stable's (not comparable with the card)."
    if any(NOT_V11 in mark for mark in flags.values()):
        note += f" {NOT_V11} data is not JGLUE v1.1's (sizes or JNLI labels): " + "; ".join(data_warning_lines(run))
    if deltas:
        note += " " + intervals.note(run) + " Without samples files: the plain difference."
    return Table(columns, rows, frozenset(range(2, len(columns))), note)


STAND_IN, NOT_V11 = "†", "⚠"


def _details(run: RunArtifacts) -> dict[str, dict[str, Any]]:
    """label -> results.json `config` (readable files only)."""
    found = {label: (data or {}).get("config") for label, data in results(run).items()}
    return {label: config for label, config in found.items() if isinstance(config, dict)}


def task_flags(run: RunArtifacts) -> dict[str, str]:
    """task -> `†` where some model's few-shot prompts were stand-ins, `⚠` where its data checks (split sizes,
    JNLI validation labels) did not match JGLUE v1.1, as results.json `config.task_details` records them."""
    flags: dict[str, str] = {}
    for config in _details(run).values():
        details = config.get("task_details") if isinstance(config.get("task_details"), dict) else {}
        for task, detail in details.items():
            if not isinstance(detail, dict):
                continue
            checks = detail.get("data_checks") if isinstance(detail.get("data_checks"), dict) else {}
            marks = flags.get(task, "")
            if detail.get("jp_stable_prompts") is False and STAND_IN not in marks:
                marks += STAND_IN
            off = [c for c in checks.values() if isinstance(c, dict) and not _v11(c)]
            if off and NOT_V11 not in marks:
                marks += NOT_V11
            flags[task] = marks
    return {task: marks for task, marks in flags.items() if marks}


def _v11(check: Mapping[str, Any]) -> bool:
    return check.get("full_v1.1_size", True) is not False and check.get("v1.1_labels", True) is not False


def data_warning_lines(run: RunArtifacts) -> list[str]:
    """The distinct `config.data_warnings` lines of the results files (older files have none)."""
    lines: list[str] = []
    for config in _details(run).values():
        found = config.get("data_warnings") if isinstance(config.get("data_warnings"), list) else []
        lines += [str(line) for line in found if str(line) not in lines]
    return lines or ["see each results.json config.task_details.data_checks"]


def jglue_detail_table(run: RunArtifacts) -> Table:
    """Every metric of every task and model as results.json holds it (± the standard error)."""
    per_label = evaluated(run)
    found = list(results(run))
    rows: list[list[Cell | str]] = []
    for task in eval_tasks(run):
        metrics: list[str] = []
        for per_task in per_label.values():
            metrics += [m for m in per_task.get(task, {}) if not m.endswith("_stderr") and m not in metrics]
        for metric in metrics:
            row: list[Cell | str] = [short_task(task), metric]
            for label in found:
                values = per_label.get(label, {}).get(task, {})
                value, err = values.get(metric), values.get(f"{metric}_stderr")
                text = fmt(value, 2 if metric in ("exact_match", "f1") else 4)
                if isinstance(err, int | float) and text != DASH:
                    text += f" ± {err:.4f}"
                row.append(Cell(text, "muted" if text == DASH else ""))
            rows.append(row)
    note = "As results.json records them: JSQuAD exact match and F1 on 0–100, accuracies on 0–1."
    return Table(["task", "metric", *found], rows, frozenset(range(2, 2 + len(found))), note)


def jglue_conditions_table(run: RunArtifacts) -> Table:
    """How each model was evaluated (from results.json `config`): model, adapter, dtype, engine, how many
    documents of the full JGLUE v1.1 validation sets, whether the prompts were jp-stable's, warnings."""
    rows: list[list[Cell | str]] = []
    for label, data in results(run).items():
        config = (data or {}).get("config")
        if not isinstance(config, dict):
            continue
        details = config.get("task_details") if isinstance(config.get("task_details"), dict) else {}
        done = full = 0
        for detail in details.values():
            if isinstance(detail, dict):
                done += detail.get("n_evaluated") or 0
                checks = detail.get("data_checks")
                validation = checks.get("validation", {}) if isinstance(checks, dict) else {}
                full += validation.get("v1.1_rows") or 0
        documents = f"{done:,} of {full:,}" if full else (fmt(done) if done else DASH)
        warnings = config.get("warnings") if isinstance(config.get("warnings"), list) else []
        prompts = config.get("jp_stable_prompts")
        rows.append(
            [
                label,
                fmt(config.get("model")),
                fmt(config.get("adapter")),
                f"{fmt(config.get('torch_dtype') or config.get('dtype'))}"
                + (" (4-bit)" if config.get("load_in_4bit") else ""),
                fmt(config.get("engine")),
                Cell(documents, "" if config.get("full_jglue_v1.1_data") else "warn"),
                Cell(fmt(prompts), "" if prompts in (True, None) else "bad"),
                Cell("; ".join(str(w) for w in warnings) or DASH, "warn" if warnings else "muted"),
            ]
        )
    note = "documents: evaluated validation documents over the full JGLUE v1.1 validation sets (all tasks)."
    return Table(
        ["model", "model id / path", "adapter", "dtype", "engine", "documents", "jp-stable prompts", "warnings"],
        rows,
        note=note if rows else "",
    )


def figures(run: RunArtifacts) -> list[PlotFile]:
    """`plots/jglue_comparison.{png,svg}` when at least one model has results."""
    if not evaluated(run):
        return []
    tasks = eval_tasks(run)
    card = card_scores() if run.options.show_card_results else None
    limit = run.config.eval.limit if run.config is not None else None
    note = f"this run: first {limit} documents per task (eval.limit)" if limit else ""
    if note and card:
        note += "; card: 13B models, full validation sets"
    fig = plot_jglue_comparison(run_scores(run, tasks), run.name, card, tasks, card_names=CARD_MODEL_NAMES, note=note)
    png, svg = save_plot(fig, run.paths.plots / "jglue_comparison")
    caption = "JGLUE headline scores per task: this run's models (solid) beside the model card's numbers (hatched)."
    return [PlotFile("jglue_comparison", png, svg, caption)]


def render(run: RunArtifacts, plots: Mapping[str, PlotFile]) -> str:
    if not results(run):
        return h.paragraph("no models configured for evaluation", "note")
    options = run.options
    stale = without_headline(run)
    stale_files = ", ".join(f"eval/{label}/{RESULTS}" for label in stale)
    warning = h.paragraph(f"No headline numbers in {stale_files} (written by an older stx): {RERUN}", "warn")
    return "\n".join(
        part
        for part in (
            warning if stale else "",
            h.render_table(jglue_table(run, show_card=options.show_card_results, baseline=options.baseline)),
            figure_html(run, plots.get("jglue_comparison")),
            "<h3>How each model was evaluated</h3>",
            h.render_table(jglue_conditions_table(run)),
            h.details("All metrics", h.render_table(jglue_detail_table(run))),
        )
        if part
    )


def files(run: RunArtifacts) -> list[tuple[str, str]]:
    return [(run.relative(run.paths.eval_dir(label) / RESULTS), f"JGLUE results of {label}") for label in results(run)]


SECTION = StageSection(stage=STAGE, title="JGLUE", read=read, render=render, figures=figures, files=files)
