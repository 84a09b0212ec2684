"""The model card (`README.md` in the Hub's format: YAML front matter, then Markdown) of a run's trained model.

Every number comes from the run folder's files (`RunForPublishing`); nothing is recomputed from a model.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import yaml

from stxlib.publish.licenses import LicenseChoice
from stxlib.publish.run import RunForPublishing, headline
from stxlib.published import CARD_METRICS, CARD_MODEL_NAMES, CARD_RESULTS

LOSS_IMAGE = "loss_curves.png"
STX_URL = "https://github.com/{repo}"
SUMMARY_FIELDS = (
    "steps",
    "epochs",
    "best_step",
    "best_eval_loss",
    "first_eval_loss",
    "last_eval_loss",
    "trainable_parameters",
    "total_parameters",
    "tokens_seen",
    "target_tokens_seen",
    "wall_time_s",
    "peak_memory_gib",
    "resumed_from",
)


def _cell(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        if value and abs(value) < 0.01:
            return f"{value:.3g}"  # learning rates, weight decay: keep the digits that matter
        return f"{value:.4f}" if abs(value) < 1000 else f"{value:,.1f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    text = str(value).replace("|", "\\|").replace("\n", "\\n")
    return f"`{text}`" if text.strip() != text or "：" in text or "{" in text else text


def table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def front_matter(run: RunForPublishing, license: LicenseChoice, merged: bool) -> dict[str, Any]:
    meta: dict[str, Any] = {}
    if run.model.base_model:
        meta["base_model"] = run.model.base_model
    datasets = [s.hub_id for s in run.sources if s.hub_id]
    if datasets:
        meta["datasets"] = datasets
    meta["language"] = ["ja"]
    meta["license"] = license.license
    if license.license == "other":
        meta["license_name"] = "see-model-card"
    meta["library_name"] = "transformers" if merged or not run.model.adapter else "peft"
    meta["pipeline_tag"] = "text-generation"
    tags = ["stx", "japanese", run.model.stage]
    tags += ["lora", "qlora"] if run.model.adapter else ["full-fine-tune"]
    if run.model.adapter and run.model.base_model:
        tags.append(f"base_model:adapter:{run.model.base_model}")
    meta["tags"] = tags
    return meta


def data_section(run: RunForPublishing) -> str:
    if run.model.stage != "train":
        names = ", ".join(f"`{s.hub_id}`" for s in run.sources) or "see the params below"
        return f"## Training data\n\nStage `{run.model.stage}` trained on: {names}.\n"
    counts = (run.mix or {}).get("sources", {})
    rows = []
    for name, source in run.config.data.enabled_sources.items():
        licence = next((s.license for s in run.sources if s.name == name), None)
        stats = counts.get(name, {})
        rows.append(
            [name, source.hub_id, stats.get("train"), stats.get("validation"), licence, source.template, source.target]
        )
    header = ["source", "hub id", "train rows", "validation rows", "licence", "input template", "output"]
    totals = (run.mix or {}).get("totals", {})
    lines = [
        "## Training data",
        "",
        f"Equal samples per source ({_cell((run.mix or {}).get('samples_per_source'))}), split option "
        f"{(run.mix or {}).get('split_option', run.config.data.split)}, {_cell(totals.get('train'))} training rows "
        "in all "
        f"(from `data/mix_stats.json`).",
        "",
        table(header, rows),
    ]
    return "\n".join(lines) + "\n"


def hyperparameter_section(run: RunForPublishing) -> str:
    params = run.config.to_dict()
    rows = [[f"{run.model.stage}.{k}", v] for k, v in params.get(run.model.stage, {}).items() if _flat(v)]
    if run.model.adapter:
        rows += [[f"lora.{k}", v] for k, v in params.get("lora", {}).items() if _flat(v)]
    rows += [[f"model.{k}", v] for k, v in params.get("model", {}).items() if _flat(v)]
    summary = [[k, run.model.summary[k]] for k in SUMMARY_FIELDS if k in run.model.summary]
    gpus = run.manifest.get("hardware", {}).get("gpus") or []
    hardware = ", ".join(g.get("name", "?") for g in gpus) or run.manifest.get("hardware", {}).get("cpu", "–")
    lines = [
        "## Training",
        "",
        f"Stage `{run.model.stage}` of the run `{run.config.run.name}` (seed {run.config.run.seed}), "
        f"hardware: {hardware}.",
        "",
        table(["setting", "value"], rows),
        "",
        "### Results (`train_summary.json`)",
        "",
        table(["field", "value"], summary) if summary else "No `train_summary.json` in the run.",
        "",
        f"![Loss curves]({LOSS_IMAGE})",
    ]
    return "\n".join(lines) + "\n"


def _flat(value: Any) -> bool:
    return not isinstance(value, dict | list) or (isinstance(value, list) and all(_flat(v) for v in value))


def _with_error(results: Mapping[str, Any], task: str, value: float) -> str:
    metric, scale = CARD_METRICS.get(task, ("acc", 1.0))
    stderr = results.get("results", {}).get(task, {}).get(f"{metric}_stderr")
    return f"{value:.4f}" + (f" ± {stderr * scale:.4f}" if isinstance(stderr, int | float) else "")


def jglue_section(run: RunForPublishing) -> str:
    if not run.jglue:
        return ""
    labels = list(run.jglue)
    scores = {label: headline(results) for label, results in run.jglue.items()}
    tasks = list(dict.fromkeys(t for s in scores.values() for t in s))
    published = [label for label in CARD_RESULTS if any(t in CARD_RESULTS[label] for t in tasks)]
    header = ["task", "metric", *labels]
    header += [f"Δ {label} − base [95% CI]" for label in labels if label in run.intervals]
    header += [f"published: {CARD_MODEL_NAMES[label]}" for label in published]
    rows = []
    for task in tasks:
        metric, scale = CARD_METRICS.get(task, ("acc", 1.0))
        row: list[Any] = [task, metric + (" / 100" if scale != 1.0 else "")]
        row += [
            _with_error(run.jglue[label], task, scores[label][task]) if task in scores[label] else None
            for label in labels
        ]
        for label in labels:
            if label in run.intervals:
                interval = run.intervals[label].get(task)
                row.append(str(interval.scaled(scale)) if interval else None)
        row += [CARD_RESULTS[label].get(task) for label in published]
        rows.append(row)
    lines = [
        "## Evaluation: JGLUE (jp-stable prompts 0.3)",
        "",
        "From `eval/<label>/results.json` (± the reported standard error); intervals: seeded paired bootstrap over "
        "the validation documents (`samples_<task>.jsonl`), * when the interval excludes 0. The published columns "
        "are the numbers on the `lightblue/openorca_stx` model card.",
        "",
        table(header, rows),
    ]
    return "\n".join(lines) + "\n"


def other_evaluations(run: RunForPublishing) -> str:
    parts = []
    if run.llm_jp_eval:
        keys = list(dict.fromkeys(k for scores in run.llm_jp_eval.values() for k in scores))
        rows = [[label, *(scores.get(k) for k in keys)] for label, scores in run.llm_jp_eval.items()]
        parts.append("## Evaluation: llm-jp-eval 1.1\n\n" + table(["model", *keys], rows) + "\n")
    if run.mt_bench:
        keys = ("score", "n_judged", "n_unparsable", "pct_ja", "judge")
        rows = [[label, *(scores.get(k) for k in keys)] for label, scores in run.mt_bench.items()]
        parts.append("## Evaluation: Japanese MT-Bench (turn 1)\n\n" + table(["model", *keys], rows) + "\n")
    return "\n".join(parts)


def usage_section(run: RunForPublishing, repo_id: str, merged: bool, example: Mapping[str, str] | None) -> str:
    """The card's closed-QA use (`context + "\\n\\n" + question`, greedy, 128 new tokens) for this model."""
    base = run.model.base_model or "BASE_MODEL"
    if merged or not run.model.adapter:
        load = (
            f'tokenizer = AutoTokenizer.from_pretrained("{repo_id}")\n'
            f'model = AutoModelForCausalLM.from_pretrained("{repo_id}", dtype=torch.bfloat16, device_map="auto")\n'
        )
        imports = "import torch\nfrom transformers import AutoModelForCausalLM, AutoTokenizer\n"
    else:
        load = (
            f'tokenizer = AutoTokenizer.from_pretrained("{base}")\n'
            f'model = AutoModelForCausalLM.from_pretrained("{base}", dtype=torch.bfloat16, device_map="auto")\n'
            f'model = PeftModel.from_pretrained(model, "{repo_id}")\n'
        )
        imports = (
            "import torch\nfrom peft import PeftModel\nfrom transformers import AutoModelForCausalLM, AutoTokenizer\n"
        )
    context = (example or {}).get("context", "名古屋城は徳川家康が九男義直のために築いた城である。")
    question = (example or {}).get("question", "名古屋城はだれのために築かれた？")
    code = (
        f"{imports}\n{load}\n"
        f"context = {context!r}\n"
        f"question = {question!r}\n"
        'prompt = context + "\\n\\n" + question  # the closed-QA template the model was trained with\n'
        'inputs = tokenizer(prompt, return_tensors="pt").to(model.device)\n'
        "output = model.generate(**inputs, max_new_tokens=128, do_sample=False)\n"
        'print(tokenizer.decode(output[0, inputs["input_ids"].shape[1]:], skip_special_tokens=True))\n'
    )
    return f"## How to use\n\nClosed QA as on the STX card (greedy, 128 new tokens):\n\n```python\n{code}```\n"


def render_card(
    run: RunForPublishing,
    repo_id: str,
    license: LicenseChoice,
    *,
    merged: bool = False,
    example: Mapping[str, str] | None = None,
    stx_repo: str = "",
) -> str:
    meta = yaml.safe_dump(front_matter(run, license, merged), allow_unicode=True, sort_keys=False)
    kind = "merged bf16 model" if merged else ("LoRA adapter" if run.model.adapter else "fully fine-tuned model")
    commit = run.manifest.get("git", {}).get("commit")
    source = f"[stx]({STX_URL.format(repo=stx_repo)})" if stx_repo else "stx"
    intro = (
        f"# {repo_id.split('/')[-1]}\n\n"
        f"A {kind} for `{run.model.base_model or run.config.model.name_or_path}`, trained with {source} "
        f"(run `{run.config.run.name}`, stage `{run.model.stage}`"
        + (f", commit `{commit[:12]}`" if commit else "")
        + ").\n\n"
        f"**Licence: `{license.license}`** — {license.reason}.\n"
    )
    sections = [
        intro,
        data_section(run),
        hyperparameter_section(run),
        jglue_section(run),
        other_evaluations(run),
        usage_section(run, repo_id, merged, example),
        f"## Reproduce\n\nThe run's merged params ship as `{PARAMS_FILE}` (its local paths are those of the machine "
        f"that trained):\n\n```bash\nstx run {PARAMS_FILE}\n```\n",
    ]
    return f"---\n{meta}---\n\n" + "\n".join(s for s in sections if s)


PARAMS_FILE = "stx_params.yaml"
