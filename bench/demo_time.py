"""Time the demo (`stx run params/smoke.yaml`) stage by stage, with the conditions that explain the figures.

    python bench/demo_time.py                      # one fresh run into a temporary folder
    python bench/demo_time.py --repeat 3 --json demo_time.json
    python bench/demo_time.py --set train.max_steps=20

Each repeat runs every stage from scratch (`--force`, a new run folder) and prints the wall time of each
stage (from the run's manifest.json), the whole run's wall time, the CPU seconds the run used (its processes
and kernels together: a figure that load on the machine does not inflate much), and the load average before
and after, with the number of CPU cores. On a loaded machine the wall times grow with the load while the CPU
seconds stay put: quote both, with the load.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def run_once(params: str, overrides: list[str]) -> dict:
    with tempfile.TemporaryDirectory(prefix="stx-demo-") as tmp:
        run_dir = Path(tmp) / "smoke"
        argv = [sys.executable, "-m", "stxlib.cli", "run", params, "--run-dir", str(run_dir), "--force"]
        for item in overrides:
            argv += ["--set", item]
        load_before = os.getloadavg()
        cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        result = subprocess.run(argv, cwd=REPO, capture_output=True, text=True)
        wall = time.perf_counter() - start
        cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if result.returncode != 0:
            sys.exit(f"stx run failed ({result.returncode}):\n{result.stderr[-3000:]}")
        manifest = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
        history_file = run_dir / "train" / "log_history.json"
        history = json.loads(history_file.read_text(encoding="utf-8")) if history_file.is_file() else []
    losses = [r["loss"] for r in history if "loss" in r]
    evals = [r["eval_loss"] for r in history if "eval_loss" in r]
    cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    return {
        "stages_s": {name: stage.get("seconds") for name, stage in manifest["stages"].items()},
        "wall_s": round(wall, 1),
        "cpu_s": round(cpu, 1),
        "load_before": [round(x, 2) for x in load_before],
        "load_after": [round(x, 2) for x in os.getloadavg()],
        # training loss is noisy step to step: the mean of the first and of the last five steps
        "train_loss_first_last": [round(sum(part) / len(part), 3) for part in (losses[:5], losses[-5:])]
        if losses
        else None,
        "eval_loss_first_last": [round(evals[0], 3), round(evals[-1], 3)] if evals else None,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--params", default="params/smoke.yaml")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--json", default=None, help="also write the figures to this file")
    args = parser.parse_args(argv)
    runs = []
    print(f"cpu cores: {os.cpu_count()}  params: {args.params} {' '.join(args.overrides)}")
    for index in range(args.repeat):
        run = run_once(args.params, args.overrides)
        runs.append(run)
        stages = "  ".join(f"{k} {v:.1f} s" for k, v in run["stages_s"].items() if v is not None)
        print(
            f"run {index + 1}: wall {run['wall_s']:.1f} s ({stages}); CPU {run['cpu_s']:.1f} s; "
            f"load average {run['load_before'][0]:.2f} -> {run['load_after'][0]:.2f}; "
            f"train loss (mean of 5 steps) {run['train_loss_first_last']}, "
            f"validation loss {run['eval_loss_first_last']}"
        )
    walls = [r["wall_s"] for r in runs]
    print(f"wall: min {min(walls):.1f} s, max {max(walls):.1f} s over {len(walls)} run(s)")
    if args.json:
        Path(args.json).write_text(json.dumps({"cpu_cores": os.cpu_count(), "runs": runs}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
