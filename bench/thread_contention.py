"""How stx's engine uses CPU threads when other processes want the same cores.

    .venv/bin/python bench/thread_contention.py                 # 1 and 2 threads, 0 and 1 busy cores
    .venv/bin/python bench/thread_contention.py --busy 0,1,2 --docs 30

Each setting runs in a fresh process (OpenMP reads its environment once): the benchmark model of
`eval_speed.py` scores the first --docs JNLI documents (packed log-likelihoods) and generates for the first
--docs // 2 JSQuAD documents, with torch on 1 or 2 threads and OpenMP's default (spinning) or passive wait
policy (or a short spin), while --busy other processes spin on a core each (started and stopped by this
script). Prints the seconds of each setting; the machine's own load comes on top (load average printed).
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
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))


POLICIES = {  # OpenMP (torch's libgomp) settings per policy name
    "default": {},  # spin up to GOMP_SPINCOUNT (300,000) before sleeping
    "PASSIVE": {"OMP_WAIT_POLICY": "PASSIVE"},  # sleep at once
    "spin10k": {"GOMP_SPINCOUNT": "10000"},  # spin briefly, then sleep
}


def child(docs: int, model: str, data: str) -> None:
    import torch

    from stxlib.config.evaluation import EvalSection
    from stxlib.engine import LocalBackend, LocalModelSpec, load_local_model
    from stxlib.jglue import prepare_tasks
    from stxlib.jglue.scoring import choice_item, jsquad_request

    lm = load_local_model(LocalModelSpec(model, dtype="float32"))
    backend = LocalBackend(lm, max_length=2048, batch_size=16)
    section = EvalSection(tasks=["jnli", "jsquad"], num_fewshot=[3, 2], data_dir=data, shots_from="auto", limit=docs)
    jnli, jsquad = prepare_tasks(section)
    items = [choice_item(backend, d) for d in jnli.docs]
    requests = [jsquad_request(backend, d) for d in jsquad.docs[: docs // 2]]
    start = time.perf_counter()
    backend.loglikelihoods(items)
    middle = time.perf_counter()
    backend.generate(requests)
    end = time.perf_counter()
    print(json.dumps({"threads": torch.get_num_threads(), "mc": middle - start, "gen": end - middle}))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=20)
    parser.add_argument("--busy", default="0,1", help="other spinning processes, comma-separated counts")
    parser.add_argument("--threads", default="2,1")
    parser.add_argument("--policies", default="default,PASSIVE,spin10k", help="OpenMP wait: " + ", ".join(POLICIES))
    parser.add_argument("--out", default=str(REPO / "bench" / "out" / "eval-speed"))
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--model", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    data = str(REPO.parent / "shared" / "data" / "jglue-v1.1")
    if args.child:
        child(args.docs, args.model, data)
        return 0
    from speed_model import build_compute_model

    model = str(build_compute_model(Path(args.out) / "model-28m"))
    print(f"{'busy':>4} {'threads':>7} {'OpenMP wait':>11} {'JNLI s':>7} {'JSQuAD s':>8}  load average")
    for busy in (int(b) for b in args.busy.split(",")):
        spinners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(busy)]
        try:
            for threads in (int(t) for t in args.threads.split(",")):
                for policy in args.policies.split(","):
                    env = {**os.environ, "OMP_NUM_THREADS": str(threads), "PYTHONPATH": str(REPO), **POLICIES[policy]}
                    command = [sys.executable, __file__, "--child", "--docs", str(args.docs), "--model", model]
                    done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
                    result = json.loads(done.stdout.strip().splitlines()[-1])
                    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
                    times = f"{result['mc']:7.2f} {result['gen']:8.2f}"
                    print(f"{busy:4d} {result['threads']:7d} {policy:>11} {times}  {load}")
        finally:
            for spinner in spinners:
                spinner.kill()
                spinner.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
