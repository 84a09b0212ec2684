"""Chat SFT and DPO speed on the tiny model: optimizer steps per second, non-pad tokens per second and peak memory.

    .venv/bin/python bench/shisa_train_speed.py                    # tiny model, fixtures, CPU, 8 steps each
    .venv/bin/python bench/shisa_train_speed.py --steps 20 --threads 2 --batch-size 4

Each stage trains in a fresh subprocess (so the peak memory is its own) through the stage's real code path:
`stxlib.sft.prepare_sft` (ShareGPT fixture, Llama-2 template, assistant-only labels, NEFTune alpha 5) and
`stxlib.dpo.prepare_dpo` (preference fixture, trl 1.16 `DPOTrainer`, a fresh LoRA with the adapter disabled as
the reference: two forward passes of chosen + rejected per pair), 4-bit nf4 + double quant, LoRA r 8, evaluating
and saving only at the last step. Wall time is the Trainer's (`train_summary.json` `wall_time_s`: the final
evaluation and checkpoint included, loading excluded). Peak memory: CUDA `max_memory_allocated`, CPU max RSS.
The params' defaults otherwise (bf16 autocast, bf16 LoRA weights); on a GPU machine the same command measures the GPU.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
SHISA = REPO / "tests" / "fixtures" / "shisa"
DATA = {
    "sft": f"sft.datasets=[{{path: {SHISA / 'sft_conversations.jsonl'}}}]",
    "dpo": f"dpo.datasets=[{{path: {SHISA / 'dpo_pairs.jsonl'}}}]",
}


def overrides(stage: str, steps: int, batch: int, threads: int) -> list[str]:
    settings = {
        "max_steps": steps, "eval_steps": steps, "save_steps": steps, "logging_steps": 1, "warmup_ratio": 0.0,
        "per_device_train_batch_size": batch, "gradient_accumulation_steps": 1, "per_device_eval_batch_size": batch,
        "eval_size": 4, "lora.r": 8, "cpu_threads": threads, "max_length": 256, "resume": False,
    }  # fmt: skip
    extra = ["sft.neftune_noise_alpha=5.0"] if stage == "sft" else ["dpo.start_from=null", "dpo.learning_rate=5.0e-3"]
    return [DATA[stage], *(f"{stage}.{k}={v}" for k, v in settings.items()), *extra]


def measure(stage: str, run_dir: Path, items: list[str]) -> dict:
    """Train one stage in this process and return its summary (called in a subprocess per stage)."""
    import importlib

    from stxlib.config import load_params
    from stxlib.paths import RunPaths

    config = load_params(None, items)
    prepare = getattr(importlib.import_module(f"stxlib.{stage}"), f"prepare_{stage}")
    return prepare(config, RunPaths(run_dir), echo=lambda _m: None, disable_tqdm=True).train().summary


def run_one(stage: str, items: list[str]) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        out = subprocess.run(
            [sys.executable, __file__, "--child", stage, tmp, json.dumps(items)],
            capture_output=True,
            text=True,
            check=False,
        )
        lines = [line for line in out.stdout.splitlines() if line.startswith("@@")]
        if out.returncode != 0 or not lines:
            raise SystemExit(f"{stage} failed:\n{out.stderr[-3000:]}")
        return json.loads(lines[-1][2:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)  # internal: STAGE RUN_DIR ITEMS_JSON
    args = parser.parse_args()
    if args.child:
        stage, run_dir, items = args.child
        print("@@" + json.dumps(measure(stage, Path(run_dir), json.loads(items))))
        return
    import torch

    device = torch.cuda.get_device_name() if torch.cuda.is_available() else "CPU"
    print(f"tiny model, {args.steps} steps, batch {args.batch_size}, {args.threads} thread(s), device {device}")
    print("| stage | steps | wall s | steps/s | non-pad tokens/s | peak memory GiB |")
    print("| --- | --- | --- | --- | --- | --- |")
    for stage in ("sft", "dpo"):
        summary = run_one(stage, overrides(stage, args.steps, args.batch_size, args.threads))
        wall = summary["wall_time_s"]
        print(
            f"| {stage} | {summary['steps']} | {wall:.2f} | {summary['steps'] / wall:.3f} | "
            f"{summary['nonpad_tokens_per_s'] or 0:.0f} | "
            f"{summary['peak_memory_gib']} ({summary['peak_memory_kind']}) |"
        )


if __name__ == "__main__":
    main()
