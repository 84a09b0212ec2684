"""The report's headline tables, built from a run's artifacts as plain text cells.

Each builder returns a `Table` (rendered to HTML by `stxlib.report.html`, or shown in a notebook
with `Table.to_frame()`). Missing values are a dash, never an error.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from stxlib.plots.jglue import short_task
from stxlib.plots.loss_curves import parse_log_history
from stxlib.published import CARD_METRICS, CARD_MODEL_NAMES, CARD_RESULTS
from stxlib.report.artifacts import RunArtifacts

DASH = "–"


@dataclass(frozen=True)
class Cell:
    """A table cell: text, an optional CSS class (`pos`, `neg`, `bad`, `muted`) and an optional link."""

    text: str
    cls: str = ""
    href: str | None = None

    def __str__(self) -> str:
        return self.text


@dataclass
class Table:
    columns: list[str]
    rows: list[list[Cell | str]] = field(default_factory=list)
    numeric: frozenset[int] = frozenset()  # right-aligned column indexes
    note: str = ""

    def to_frame(self):
        """A pandas DataFrame of the cell texts (for notebooks)."""
        import pandas as pd

        return pd.DataFrame([[str(c) for c in row] for row in self.rows], columns=self.columns)


def fmt(value: Any, digits: int | None = None) -> str:
    """A number with `digits` decimals (default: 4 significant digits below 100, one decimal above),
    integers with thousands separators, a dash for None/NaN."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return DASH
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if digits is not None:
            return f"{value:,.{digits}f}"
        return f"{value:,.1f}" if abs(value) >= 100 else f"{value:.4g}"
    if isinstance(value, list | tuple):
        return ", ".join(fmt(v, digits) for v in value) if value else DASH
    return str(value)


def delta_cell(new: float | None, old: float | None, digits: int = 3) -> Cell:
    if new is None or old is None:
        return Cell(DASH, "muted")
    diff = new - old
    return Cell(f"{diff:+.{digits}f}", "pos" if diff > 0 else ("neg" if diff < 0 else ""))


# ---------------------------------------------------------------- JGLUE


def headline_spec(task: str, metrics: Mapping[str, Any] | None = None) -> tuple[str, float]:
    """(metric, factor) of the card's headline number for `task`: the card's own choice for its four
    tasks, else the task's headline metric in `stxlib.jglue.tasks`, else `acc` / exact match / 100."""
    if task in CARD_METRICS:
        return CARD_METRICS[task]
    try:
        from stxlib.jglue.tasks import get_task

        metric = get_task(task).headline_metric
        return metric, 0.01 if metric in ("exact_match", "f1") else 1.0
    except (KeyError, ValueError, ImportError):
        return ("acc", 1.0) if metrics is None or "acc" in metrics else ("exact_match", 0.01)


def headline(task: str, metrics: Mapping[str, Any] | None) -> float | None:
    """The card's headline number for `task` from one results.json entry (JSQuAD exact match / 100,
    `acc` otherwise); None when the value is absent or not a finite number."""
    if not metrics:
        return None
    metric, factor = headline_spec(task, metrics)
    value = metrics.get(metric)
    if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value):
        return None
    return float(value) * factor


def headline_metric_name(task: str) -> str:
    metric, factor = headline_spec(task)
    return f"{metric} / 100" if factor == 0.01 else metric


def eval_tasks(run: RunArtifacts) -> list[str]:
    """The configured tasks, then any other task found in a results.json."""
    configured = run.param("eval.tasks", [])
    tasks = [t for t in configured if isinstance(t, str)] if isinstance(configured, list) else []
    for results in run.evaluated.values():
        tasks += [t for t in results if t not in tasks]
    return tasks


def run_scores(run: RunArtifacts, tasks: Sequence[str] | None = None) -> dict[str, dict[str, float | None]]:
    """label -> task -> headline value (None where the model or the task was not evaluated)."""
    tasks = list(tasks) if tasks is not None else eval_tasks(run)
    return {
        label: {task: headline(task, (data or {}).get("results", {}).get(task)) for task in tasks}
        for label, data in run.eval_results.items()
    }


def card_scores(labels: Sequence[str] | None = None) -> dict[str, dict[str, float]]:
    """The card's table, restricted to `labels` when given."""
    return {k: dict(v) for k, v in CARD_RESULTS.items() if labels is None or k in labels}


def baseline_label(run: RunArtifacts, preferred: str = "base") -> str | None:
    labels = run.eval_labels
    if not labels:
        return None
    return preferred if preferred in labels else labels[0]


def jglue_table(run: RunArtifacts, *, show_card: bool = True, baseline: str = "base") -> Table:
    """Per task: each model's headline value, its change from the baseline model, and the card's values."""
    tasks = eval_tasks(run)
    scores = run_scores(run, tasks)
    base = baseline_label(run, baseline)
    others = [label for label in scores if label != base]
    card = card_scores() if show_card else {}
    columns = ["task", "metric", *scores]
    columns += [f"Δ {label} − {base}" for label in others]
    columns += [f"card: {label}" for label in card]
    if "base" in card and "finetuned" in card:
        columns.append("card Δ finetuned − base")
    rows: list[list[Cell | str]] = []
    for task in tasks:
        row: list[Cell | str] = [short_task(task), headline_metric_name(task)]
        row += [
            Cell(fmt(scores[label][task], 3), "" if scores[label][task] is not None else "muted") for label in scores
        ]
        row += [delta_cell(scores[label][task], scores[base][task]) for label in others]
        row += [Cell(fmt(card[label].get(task), 3)) for label in card]
        if "base" in card and "finetuned" in card:
            row.append(delta_cell(card["finetuned"].get(task), card["base"].get(task)))
        rows.append(row)
    note = "JSQuAD: exact match / 100; other tasks: accuracy (the card's convention)."
    if card:
        names = "; ".join(f"{label} = {CARD_MODEL_NAMES.get(label, label)}" for label in card)
        note += f" Card columns: the lightblue/openorca_stx model card ({names}), 13B models, full validation sets."
    if run.param("eval.limit") is not None:
        note += f" This run evaluated only the first {run.param('eval.limit')} documents per task (eval.limit)."
    return Table(columns, rows, frozenset(range(2, len(columns))), note)


def jglue_detail_table(run: RunArtifacts) -> Table:
    """Every metric of every task and model as results.json holds it (± the standard error)."""
    evaluated = run.evaluated
    labels = run.eval_labels
    rows: list[list[Cell | str]] = []
    for task in eval_tasks(run):
        metrics: list[str] = []
        for results in evaluated.values():
            metrics += [m for m in results.get(task, {}) if not m.endswith("_stderr") and m not in metrics]
        for metric in metrics:
            row: list[Cell | str] = [short_task(task), metric]
            for label in labels:
                values = evaluated.get(label, {}).get(task, {})
                value, err = values.get(metric), values.get(f"{metric}_stderr")
                text = fmt(value, 2 if metric in ("exact_match", "f1") else 4)
                if isinstance(err, int | float) and text != DASH:
                    text += f" ± {err:.4f}"
                row.append(Cell(text, "muted" if text == DASH else ""))
            rows.append(row)
    note = "As results.json records them: JSQuAD exact match and F1 on 0–100, accuracies on 0–1."
    return Table(["task", "metric", *labels], rows, frozenset(range(2, 2 + len(labels))), note)


def jglue_conditions_table(run: RunArtifacts) -> Table:
    """How each model was evaluated (from results.json `config`): model, adapter, dtype, engine, how many
    documents of the full JGLUE v1.1 validation sets, whether the prompts were jp-stable's, warnings."""
    rows: list[list[Cell | str]] = []
    for label, data in run.eval_results.items():
        config = (data or {}).get("config")
        if not isinstance(config, dict):
            continue
        details = config.get("task_details") if isinstance(config.get("task_details"), dict) else {}
        evaluated = full = 0
        for detail in details.values():
            if isinstance(detail, dict):
                evaluated += detail.get("n_evaluated") or 0
                checks = (
                    detail.get("data_checks", {}).get("validation", {})
                    if isinstance(detail.get("data_checks"), dict)
                    else {}
                )
                full += checks.get("v1.1_rows") or 0
        documents = f"{evaluated:,} of {full:,}" if full else (fmt(evaluated) if evaluated else DASH)
        warnings = config.get("warnings") if isinstance(config.get("warnings"), list) else []
        full_data = config.get("full_jglue_v1.1_data")
        prompts = config.get("jp_stable_prompts")
        rows.append(
            [
                label,
                fmt(config.get("model")),
                fmt(config.get("adapter")),
                f"{fmt(config.get('torch_dtype') or config.get('dtype'))}"
                + (" (4-bit)" if config.get("load_in_4bit") else ""),
                fmt(config.get("engine")),
                Cell(documents, "" if full_data else "warn"),
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


# ---------------------------------------------------------------- training


def best_checkpoint(run: RunArtifacts) -> tuple[int | None, float | None, str]:
    """(best step, its eval loss, where it came from): train_summary.json if it names one, else argmin of
    `eval_loss` in the log history."""
    summary = run.train_summary or {}
    step = _first(summary, "best_step", "best_global_step")
    loss = _first(summary, "best_eval_loss", "best_metric")
    if isinstance(step, int) and isinstance(loss, int | float):
        return step, float(loss), "train_summary.json"
    if run.log_history:
        best = parse_log_history(run.log_history).best
        if best:
            return best[0], best[1], "argmin of eval_loss in log_history.json"
    return None, None, ""


_SUMMARY_LABELS = {
    "best_checkpoint": "best checkpoint",
    "first_eval_step": "first evaluation step",
    "first_eval_loss": "first validation loss",
    "last_eval_loss": "last validation loss",
    "evaluations": "evaluations",
    "steps": "optimizer steps",
    "global_step": "optimizer steps",
    "max_steps": "max steps",
    "epochs": "epochs",
    "trainable_parameters": "trainable parameters",
    "expected_trainable_parameters": "trainable parameters expected",
    "total_parameters": "total parameters",
    "tokens_seen": "tokens seen (with padding)",
    "nonpad_tokens_seen": "non-pad tokens seen",
    "target_tokens_seen": "target tokens seen",
    "nonpad_token_fraction": "non-pad token fraction",
    "wall_time_s": "training wall time (s)",
    "tokens_per_s": "tokens / s (with padding)",
    "nonpad_tokens_per_s": "non-pad tokens / s",
    "resumed_from": "resumed from",
    "peak_memory_gib": "peak memory (GiB)",
    "peak_memory_kind": "peak memory measured as",
}


# train_summary.json keys shown in the headline (in this order); the others go to the details table.
HEADLINE_SUMMARY_KEYS = [
    "steps",
    "global_step",
    "epochs",
    "effective_batch_size",
    "trainable_parameters",
    "total_parameters",
    "tokens_seen",
    "nonpad_tokens_seen",
    "wall_time_s",
    "tokens_per_s",
    "peak_memory_gib",
]
_BEST_KEYS = {"best_step", "best_eval_loss", "best_metric", "best_global_step"}


def train_table(run: RunArtifacts) -> Table:
    """Best step and validation loss, the last losses, then the headline figures of train_summary.json."""
    step, loss, source = best_checkpoint(run)
    rows: list[list[Cell | str]] = [
        ["best step (lowest validation loss)", Cell(fmt(step), "" if step is not None else "muted")],
        ["best validation loss", Cell(fmt(loss, 4), "" if loss is not None else "muted")],
    ]
    if run.log_history:
        curves = parse_log_history(run.log_history)
        if curves.train_loss:
            rows.append([f"last training loss (step {curves.train_steps[-1]})", fmt(curves.train_loss[-1], 4)])
        if curves.eval_loss:
            rows.append([f"last validation loss (step {curves.eval_steps[-1]})", fmt(curves.eval_loss[-1], 4)])
        argmin = curves.best
        if argmin and step is not None and argmin[0] != step:
            rows.append([Cell("note", "bad"), Cell(f"argmin of eval_loss in the log is step {argmin[0]}", "bad")])
    summary = run.train_summary or {}
    for key in HEADLINE_SUMMARY_KEYS:
        if summary.get(key) is not None:
            label = _SUMMARY_LABELS.get(key, key.replace("_", " "))
            if key == "peak_memory_gib" and summary.get("peak_memory_kind"):
                label += f", {summary['peak_memory_kind']}"
            rows.append([label, fmt(summary[key])])
    return Table(["", "value"], rows, frozenset({1}), f"best checkpoint from {source}" if source else "")


def train_details_table(run: RunArtifacts) -> Table:
    """Every other scalar of train_summary.json (settings the trainer actually used, token counts, ...)."""
    skip = {*HEADLINE_SUMMARY_KEYS, *_BEST_KEYS, "peak_memory_kind"}
    rows: list[list[Cell | str]] = [
        [_SUMMARY_LABELS.get(key, key.replace("_", " ")), fmt(value)]
        for key, value in (run.train_summary or {}).items()
        if key not in skip and not isinstance(value, dict | list)
    ]
    return Table(["train_summary.json", "value"], rows)


def _first(mapping: Mapping[str, Any], *keys: str) -> Any:
    for key in keys:
        if mapping.get(key) is not None:
            return mapping[key]
    return None


# ---------------------------------------------------------------- params, data, stages, environment

PARAMS_SUMMARY = [
    ("run name", "run.name"),
    ("seed", "run.seed"),
    ("base model", "model.name_or_path"),
    ("4-bit quantisation", "model.quantization.load_in_4bit"),
    ("quant type / double quant", ("model.quantization.quant_type", "model.quantization.double_quant")),
    ("LoRA r / alpha / dropout", ("lora.r", "lora.alpha", "lora.dropout")),
    ("LoRA target modules", "lora.target_modules"),
    ("learning rate / schedule", ("train.learning_rate", "train.lr_scheduler_type")),
    ("max steps / eval every / save every", ("train.max_steps", "train.eval_steps", "train.save_steps")),
    ("batch size × grad accumulation", ("train.per_device_train_batch_size", "train.gradient_accumulation_steps")),
    ("max grad norm / optimizer", ("train.max_grad_norm", "train.optim")),
    ("loss scaling / collator", ("train.loss_scaling", "train.collator")),
    ("samples per source / split option", ("data.samples_per_source", "data.split")),
    ("validation rows / source, target max len", ("data.eval_size", "data.source_max_len", "data.target_max_len")),
    ("JGLUE tasks", "eval.tasks"),
    ("few-shot counts / limit", ("eval.num_fewshot", "eval.limit")),
    ("evaluated models", "eval.models"),
]


def params_table(run: RunArtifacts) -> Table:
    rows: list[list[Cell | str]] = []
    for label, keys in PARAMS_SUMMARY:
        keys = (keys,) if isinstance(keys, str) else keys
        values = [run.param(k) for k in keys]
        if all(v is None for v in values):
            continue
        rows.append([label, " / ".join(_param_text(v) for v in values)])
    batch = run.param("train.per_device_train_batch_size")
    accum = run.param("train.gradient_accumulation_steps")
    if isinstance(batch, int) and isinstance(accum, int):
        rows.append(["sequences per optimizer step", fmt(batch * accum)])
    return Table(["param", "value"], rows, note="" if rows else "no params found (params.yaml and manifest missing)")


def _param_text(value: Any) -> str:
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        return ", ".join(_model_text(v) for v in value)
    if isinstance(value, float):
        return f"{value:g}"
    return fmt(value) if value is not None else "null"


def _model_text(model: dict[str, Any]) -> str:
    extra = [f"{k}={v}" for k, v in model.items() if k != "label" and v not in (None, False)]
    return str(model.get("label")) + (f" ({', '.join(extra)})" if extra else "")


def data_table(run: RunArtifacts) -> Table:
    """Rows per source and split, token lengths (median / p95 / max) and truncation of the train split."""
    stats = run.mix_stats
    columns = [
        "source",
        "train rows",
        "validation rows",
        "validation from",
        "source tokens med / p95 / max",
        "target tokens med / p95 / max",
        "source truncated",
        "target truncated",
    ]
    if not stats:
        return Table(columns, [], note="data/mix_stats.json not available")
    lengths = stats.get("lengths", {}).get("train", {})
    rows: list[list[Cell | str]] = []
    for name, info in stats["sources"].items():
        per = lengths.get(name, {})
        rows.append(
            [
                name,
                fmt(info.get("train")),
                fmt(info.get("validation")),
                str(info.get("validation_from", DASH)),
                _spread(per.get("source_tokens")),
                _spread(per.get("target_tokens")),
                _share(per.get("source_truncated")),
                _share(per.get("target_truncated")),
            ]
        )
    totals = stats["totals"]
    every = lengths.get("all", {})
    rows.append(
        [
            Cell("total", "strong"),
            Cell(fmt(totals.get("train")), "strong"),
            Cell(fmt(totals.get("validation")), "strong"),
            "",
            _spread(every.get("source_tokens")),
            _spread(every.get("target_tokens")),
            _share(every.get("source_truncated")),
            _share(every.get("target_truncated")),
        ]
    )
    note = (
        f"split option {stats.get('split_option', DASH)}, seed {stats.get('seed', DASH)}, "
        f"source_max_len {stats['source_max_len']}, target_max_len {stats['target_max_len']}, "
        f"tokenizer {stats.get('tokenizer', DASH)}; truncated = share of train rows longer than the limit"
    )
    if totals.get("discarded"):
        note += f"; {totals['discarded']} rows discarded by the split"
    return Table(columns, rows, frozenset({1, 2, 4, 5, 6, 7}), note)


def _spread(summary: Mapping[str, Any] | None) -> str:
    if not summary or not summary.get("n"):
        return DASH
    return " / ".join(
        fmt(summary.get(k), 0 if isinstance(summary.get(k), float) else None) for k in ("median", "p95", "max")
    )


def _share(value: Any) -> str:
    return f"{value:.1%}" if isinstance(value, int | float) else DASH


STATUS_CLASS = {"done": "pos", "failed": "bad", "running": "warn", "not run": "muted", "not_implemented": "muted"}


def stages_table(run: RunArtifacts, current: str | None = None) -> Table:
    """One row per stage with its status, time, error and links to the rendered and executed notebooks.

    `current` names the stage building this page (its notebook is rendered after the page is written)."""
    rows: list[list[Cell | str]] = []
    for stage in run.stages:
        building = stage.name == current
        html = f"{stage.notebook}.html" if building else stage.html
        ipynb = f"{stage.notebook}.ipynb" if building else stage.ipynb
        status = Cell("this page", "pos") if building else Cell(stage.status, STATUS_CLASS.get(stage.status, ""))
        links = Cell(f"{stage.notebook}.html", href=html) if html else Cell(DASH, "muted")
        raw = Cell(".ipynb", href=ipynb) if ipynb else Cell(DASH, "muted")
        rows.append(
            [
                stage.name,
                links,
                raw,
                status,
                fmt(None if building else stage.seconds, 1),
                stage.started or DASH,
                Cell(stage.error or "", "bad pre" if stage.error else ""),
            ]
        )
    return Table(
        ["stage", "rendered notebook", "executed", "status", "seconds", "started", "error"], rows, frozenset({4})
    )


def environment_table(run: RunArtifacts) -> Table:
    manifest = run.manifest or {}
    git = manifest.get("git") if isinstance(manifest.get("git"), dict) else {}
    hw = manifest.get("hardware") if isinstance(manifest.get("hardware"), dict) else {}
    gpus = hw.get("gpus") if isinstance(hw.get("gpus"), list) else []
    gpu_text = ", ".join(f"{g.get('name')} ({g.get('memory_gib')} GiB)" for g in gpus if isinstance(g, dict))
    commit = git.get("commit")
    rows = [
        ["stx version", fmt(manifest.get("stx_version"))],
        [
            "git commit",
            fmt(commit[:12] if isinstance(commit, str) else None)
            + (" (uncommitted changes)" if git.get("dirty") else ""),
        ],
        ["git branch", fmt(git.get("branch"))],
        ["params file", fmt(manifest.get("params_file"))],
        ["overrides", fmt(manifest.get("overrides"))],
        ["created / updated", f"{fmt(manifest.get('created'))} / {fmt(manifest.get('updated'))}"],
        ["python", fmt(hw.get("python"))],
        ["platform", fmt(hw.get("platform"))],
        ["CPU", f"{fmt(hw.get('cpu'))} ({fmt(hw.get('cpu_count'))} cores)"],
        ["memory (GiB)", fmt(hw.get("memory_gib"), 1)],
        [
            "torch / CUDA",
            f"{fmt(hw.get('torch'))} / {fmt(hw.get('cuda_version')) if hw.get('cuda_available') else 'no CUDA'}",
        ],
        ["GPUs", gpu_text or "none"],
        ["bf16 supported", fmt(hw.get("bf16_supported"))],
    ]
    note = "" if manifest else "manifest.json not available"
    return Table(["", "value"], rows, note=note)


def packages_table(run: RunArtifacts) -> Table:
    packages = (run.manifest or {}).get("packages")
    packages = packages if isinstance(packages, dict) else {}
    rows: list[list[Cell | str]] = [
        [name, fmt(version) if version else "not installed"] for name, version in packages.items()
    ]
    return Table(["package", "version"], rows)
