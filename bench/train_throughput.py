"""Training throughput: tokens/s and the non-pad token fraction, with and without qlora's group_by_length.

    .venv/bin/python bench/train_throughput.py                      # tiny model, smoke data, CPU
    .venv/bin/python bench/train_throughput.py --steps 30 --threads 2
    .venv/bin/python bench/train_throughput.py --gpu                # + a random 1.1B Llama in 4-bit on the GPU
    .venv/bin/python bench/train_throughput.py --gpu --shape 3b --batch-size 8 --steps 20

Each setting trains in a fresh subprocess (real nf4 4-bit, LoRA, the smoke params' other settings) on the smoke
data (written once by the data stage), evaluating and saving only at the last step, and prints one line per
setting: wall time, tokens/s counting pads (what the hardware processed), non-pad tokens/s (the useful
part), the non-pad fraction and the peak memory (CPU: max RSS; CUDA: torch.cuda.max_memory_allocated).

`--gpu` builds a random-weight Llama of a 1.1B (TinyLlama) or 3B (OpenLLaMA) shape with a 32,000-token
vocabulary, saves it in bf16, and trains it through the same code path: 4-bit nf4 + double quant, bf16
compute, LoRA r=64 on every linear layer, paged_adamw_32bit, the card's batch 8 x 2 (override with --batch-size).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SMOKE = REPO / "params" / "smoke.yaml"
sys.path.insert(0, str(REPO))

SHAPES = {
    # TinyLlama-1.1B: hidden 2048, 22 layers, 32 heads (4 KV), MLP 5632.
    "1b": {
        "hidden_size": 2048,
        "intermediate_size": 5632,
        "num_hidden_layers": 22,
        "num_attention_heads": 32,
        "num_key_value_heads": 4,
    },
    # OpenLLaMA-3B: hidden 3200, 26 layers, 32 heads, MLP 8640.
    "3b": {
        "hidden_size": 3200,
        "intermediate_size": 8640,
        "num_hidden_layers": 26,
        "num_attention_heads": 32,
        "num_key_value_heads": 32,
    },
}


def measure(run_dir: Path, overrides: list[str]) -> dict:
    """Train in this process and return the summary (called in a subprocess per setting)."""
    from stxlib.config import load_params
    from stxlib.paths import RunPaths
    from stxlib.train import prepare_training

    config = load_params(SMOKE, ["train.resume=false", *overrides])
    result = prepare_training(config, RunPaths(run_dir), echo=lambda _m: None, disable_tqdm=True).train()
    return result.summary


def run_setting(data: Path, work: Path, name: str, overrides: list[str]) -> dict:
    run_dir = work / name
    run_dir.mkdir(parents=True, exist_ok=True)
    link = run_dir / "data"
    if not link.exists():
        link.symlink_to(data)
    cmd = [sys.executable, __file__, "--measure", str(run_dir), "--", *overrides]
    out = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise SystemExit(f"{name} failed:\n{out.stderr[-4000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def random_llama(shape: str, folder: Path, device: str = "cuda") -> Path:
    """A random-weight Llama of `shape` saved in bf16 with the tiny model's tokenizer (ids < 3,003)."""
    import torch
    from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM

    from stxlib.tiny_model import ensure_tiny_model

    config = LlamaConfig(vocab_size=32000, max_position_embeddings=4096, dtype="bfloat16", **SHAPES[shape])
    torch.manual_seed(0)
    with torch.device(device):
        model = LlamaForCausalLM(config).to(torch.bfloat16)
    model.save_pretrained(folder)
    AutoTokenizer.from_pretrained(ensure_tiny_model()).save_pretrained(folder)
    del model
    if device == "cuda":
        torch.cuda.empty_cache()
    return folder


def gpu_overrides(model: Path, batch_size: int) -> list[str]:
    """The card's settings on the random model (the smoke params' model/lora/train blocks otherwise)."""
    return [
        f"model.name_or_path={model}",
        "lora.r=64",
        f"train.per_device_train_batch_size={batch_size}",
        "train.per_device_eval_batch_size=16",
        "train.learning_rate=2e-4",
    ]


def print_row(name: str, s: dict) -> None:
    print(
        f"| {name} | {s['steps']} | {s['wall_time_s']:.1f} | {s['tokens_per_s']:.0f} | {s['nonpad_tokens_per_s']:.0f} "
        f"| {s['nonpad_token_fraction']:.3f} | {s['peak_memory_gib']:.2f} ({s['peak_memory_kind']}) |",
        flush=True,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=20, help="optimizer steps per setting (default 20)")
    parser.add_argument("--threads", type=int, default=1, help="CPU threads per training process (default 1)")
    parser.add_argument("--gpu", action="store_true", help="also time a random 1-3B Llama in 4-bit on the GPU")
    parser.add_argument("--shape", choices=sorted(SHAPES), default="1b", help="GPU model shape (default 1b)")
    parser.add_argument("--batch-size", type=int, default=8, help="GPU per-device batch size (default 8, the card)")
    parser.add_argument("--measure", default=None, help=argparse.SUPPRESS)
    parser.add_argument("overrides", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(Path(args.measure), args.overrides)))
        return 0

    from stxlib.config import load_params
    from stxlib.data import run_data_stage
    from stxlib.paths import RunPaths

    steps = [f"train.max_steps={args.steps}", f"train.eval_steps={args.steps}", f"train.save_steps={args.steps}"]
    with tempfile.TemporaryDirectory(prefix="stx-bench-") as tmp:
        work = Path(tmp)
        run_data_stage(load_params(SMOKE), RunPaths(work / "mix"))
        data = work / "mix" / "data"
        print(f"stx-tiny, smoke data, CPU, {args.threads} thread(s), {args.steps} steps of 4 x 2 sequences")
        print("| setting | steps | wall s | tokens/s | non-pad tokens/s | non-pad fraction | peak memory GiB |")
        print("| --- | --- | --- | --- | --- | --- | --- |")
        cpu = [*steps, f"train.cpu_threads={args.threads}"]
        for name, grouped in (("group_by_length (qlora)", True), ("random order", False)):
            print_row(name, run_setting(data, work, f"cpu-{grouped}", [*cpu, f"train.group_by_length={grouped}"]))
        if args.gpu:
            import torch

            if not torch.cuda.is_available():
                raise SystemExit("--gpu: no CUDA device visible")
            model = random_llama(args.shape, work / f"llama-{args.shape}")
            gpu = [*steps, *gpu_overrides(model, args.batch_size)]
            name = torch.cuda.get_device_name()
            print(f"\nrandom {args.shape} Llama, 4-bit nf4, bf16, LoRA r=64, {name}, batch {args.batch_size} x 2")
            print("| setting | steps | wall s | tokens/s | non-pad tokens/s | non-pad fraction | peak memory GiB |")
            print("| --- | --- | --- | --- | --- | --- | --- |")
            for label, grouped in (("group_by_length (qlora)", True), ("random order", False)):
                summary = run_setting(data, work, f"gpu-{grouped}", [*gpu, f"train.group_by_length={grouped}"])
                print_row(label, summary)
    return 0


if __name__ == "__main__":
    sys.exit(main())
