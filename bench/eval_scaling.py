"""Data-parallel evaluation: JGLUE documents/s with 1 process and with N processes under torchrun.

    .venv/bin/python bench/eval_scaling.py                         # compute model, 1 vs 2 CPU processes
    .venv/bin/python bench/eval_scaling.py --model stx-tiny --limit 20
    .venv/bin/python bench/eval_scaling.py --processes 1,2,4       # on a GPU machine: one process per GPU

Runs `stx eval` as a user would (a fresh `python -m stxlib.cli eval` for 1 process, `python -m
torch.distributed.run --standalone --nproc_per_node N -m stxlib.cli eval` for N), on the same job each time:
JCommonsenseQA and JNLI from ../shared/data/jglue-v1.1 (the first --limit documents of the seed-42 order,
shots 3,3 from the validation stand-in: their train splits are not shipped), model `compute` (the random ~28M
Llama of `speed_model.py`, float32) unless --model. Without CUDA each process gets cores / N torch threads
(`--threads`), so 1 and N processes use the same cores (`--threads-per-process T` instead gives every
process T threads); with CUDA one process per GPU.

Prints per task the documents/s each run's results.json records (all documents over the task's wall time on
rank 0, which includes waiting for the slowest rank and the gather) and the whole command's wall time
(interpreter start-up and model load included), and compares every run's samples with 1 process's: identical,
or the largest log-likelihood difference (float noise when the ranks' torch thread count differs from the single
process's) and whether every prediction is the same.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))

from speed_model import build_compute_model  # noqa: E402

TASKS = "jcommonsenseqa,jnli"
FEWSHOT = "3,3"


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def command(processes: int, args: argparse.Namespace, model: str, out: Path) -> list[str]:
    eval_args = [
        "eval", "--model", model, "--data-dir", args.shared, "--tasks", args.tasks, "--num-fewshot", args.num_fewshot,
        "--shots-from", "auto", "--limit", str(args.limit), "--dtype", "float32", "--out", str(out), "--force",
    ]  # fmt: skip
    if args.batch_size:
        eval_args += ["--batch-size", str(args.batch_size)]
    if not args.cuda:
        eval_args += ["--threads", str(args.threads_per_process or max(1, args.threads // processes))]
    launcher = [sys.executable]
    if processes > 1:
        launcher += ["-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={processes}"]
    return [*launcher, "-m", "stxlib.cli", *eval_args]


def run(processes: int, args: argparse.Namespace, model: str, out: Path) -> tuple[dict, float, str]:
    cmd = command(processes, args, model, out)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    before = load_average()
    start = time.perf_counter()
    done = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{done.stderr[-3000:]}")
    return json.loads((out / "results.json").read_text()), wall, before


def samples(out: Path) -> dict[str, list[dict]]:
    return {p.name: [json.loads(line) for line in p.open()] for p in sorted(out.glob("samples_*.jsonl"))}


def agreement(reference: dict[str, list[dict]], other: dict[str, list[dict]]) -> str:
    """`identical`, or the largest log-likelihood difference and whether every prediction agrees (a different
    torch thread count per process changes the float reductions)."""
    if reference == other:
        return "identical"
    if reference.keys() != other.keys() or any(len(reference[k]) != len(other[k]) for k in reference):
        return "DIFFERENT documents"
    pairs = [(a, b) for k in reference for a, b in zip(reference[k], other[k], strict=True)]
    same = all(a["prediction"] == b["prediction"] and a.get("prompt") == b.get("prompt") for a, b in pairs)
    delta = max(
        (
            abs(x - y)
            for a, b in pairs
            for x, y in zip(a.get("loglikelihoods", []), b.get("loglikelihoods", []), strict=True)
        ),
        default=0.0,
    )
    return f"max abs dll {delta:.1e}, predictions {'identical' if same else 'DIFFERENT'}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="compute", help="compute (the benchmark model), stx-tiny or a folder")
    parser.add_argument("--shared", default=str(REPO.parent / "shared" / "data" / "jglue-v1.1"))
    parser.add_argument("--tasks", default=TASKS)
    parser.add_argument("--num-fewshot", default=FEWSHOT)
    parser.add_argument("--limit", type=int, default=60, help="documents per task")
    parser.add_argument("--batch-size", type=int, default=None)
    parser.add_argument("--processes", default="1,2", help="comma-separated process counts (1 first)")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1, help="CPU threads shared by the ranks")
    parser.add_argument("--threads-per-process", type=int, default=None, help="fixed threads per process instead")
    parser.add_argument("--out", default=str(REPO / "bench" / "out" / "eval-scaling"))
    args = parser.parse_args()

    import torch

    args.cuda = torch.cuda.is_available()
    out = Path(args.out)
    model = str(build_compute_model(out / "compute-model")) if args.model == "compute" else args.model
    counts = [int(n) for n in args.processes.split(",")]
    device = (
        f"{torch.cuda.device_count()} x {torch.cuda.get_device_name(0)}"
        if args.cuda
        else (
            f"CPU, {args.threads_per_process} thread(s) per process"
            if args.threads_per_process
            else f"CPU, {args.threads} threads"
        )
    )
    print(f"model {args.model}, tasks {args.tasks}, limit {args.limit}, {device}")
    rows, reference = [], None
    for n in counts:
        folder = out / f"p{n}"
        results, wall, before = run(n, args, model, folder)
        same = "reference" if reference is None else agreement(reference, samples(folder))
        reference = reference if reference is not None else samples(folder)
        details = results["config"]["task_details"]
        rates = {task: d["docs_per_second"] for task, d in details.items()}
        rows.append((n, rates, wall, before, load_average(), same))
    tasks = list(rows[0][1])
    print(
        "| processes | "
        + " | ".join(f"{t} doc/s" for t in tasks)
        + " | command s | speed-up | load before / after | samples |"
    )
    print("| --- " * (len(tasks) + 5) + "|")
    for n, rates, wall, before, after, same in rows:
        cells = " | ".join(f"{rates[t]:.2f}" for t in tasks)
        print(f"| {n} | {cells} | {wall:.1f} | {rows[0][2] / wall:.2f} | {before} / {after} | {same} |")
    return 0 if not any("DIFFERENT" in r[5] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
