"""Documents/s of the JGLUE reference path and the fast engine on the tiny model over the real JGLUE v1.1 files.

    .venv/bin/python bench/eval_speed.py                     # ../shared/data/jglue-v1.1, default limits
    .venv/bin/python bench/eval_speed.py --limit 128 --jsquad-limit 32 --batch-size 16

Both paths score the same documents (the first N of each task's seed-42 order). JCommonsenseQA uses its train
split for shots (exact jp-stable prompts); JSQuAD and JNLI have no train split in the shared folder, so their
shots come from the validation stand-in. The script also checks that the two paths agree (max |Δ log-likelihood|,
identical predictions and generations) and prints one line per task and a total.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from stxlib.jglue.engine import FastEngine  # noqa: E402
from stxlib.jglue.lm import load_eval_lm  # noqa: E402
from stxlib.jglue.reference import ReferenceScorer  # noqa: E402
from stxlib.jglue.runner import EvalSettings, prepare_tasks  # noqa: E402
from stxlib.jglue.scoring import ChoiceItem  # noqa: E402
from stxlib.jglue.tasks import get_task  # noqa: E402


def timed(fn, *args):
    start = time.perf_counter()
    out = fn(*args)
    return out, time.perf_counter() - start


def row(name: str, docs: int, ref_s: float, fast_s: float, check: str = "") -> str:
    return (
        f"{name:24} {docs:5d} {ref_s:8.2f} {docs / ref_s:10.2f} {fast_s:8.2f} {docs / fast_s:10.2f} "
        f"{ref_s / fast_s:6.1f}x  {check}"
    )


def compare_generation(ref: list[str], fast: list[str]) -> str:
    differ = sum(a != b for a, b in zip(ref, fast, strict=True))
    return "identical generations" if not differ else f"{differ} generations DIFFER"


def compare_loglikelihoods(ref: list[list[float]], fast: list[list[float]]) -> str:
    delta = max(abs(a - b) for r, f in zip(ref, fast, strict=True) for a, b in zip(r, f, strict=True))
    same = all(r.index(max(r)) == f.index(max(f)) for r, f in zip(ref, fast, strict=True))
    return f"max |Δll| {delta:.1e}, predictions {'identical' if same else 'DIFFER'}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", default=str(REPO.parent / "shared" / "data" / "jglue-v1.1"))
    parser.add_argument("--model", default="stx-tiny")
    parser.add_argument("--tasks", default="jcommonsenseqa,jnli,jsquad")
    parser.add_argument("--limit", type=int, default=64, help="documents per multiple-choice task")
    parser.add_argument("--jsquad-limit", type=int, default=16, help="JSQuAD documents (256 new tokens each)")
    parser.add_argument("--batch-size", type=int, default=8, help="engine batch size (documents)")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's)")
    args = parser.parse_args()

    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    lm = load_eval_lm(args.model, dtype="float32")
    print(
        f"model {args.model} (max_length {lm.max_length}), torch {torch.__version__}, {torch.get_num_threads()} "
        f"threads, engine batch size {args.batch_size}, data {args.data_dir}"
    )
    print(f"{'task':24} {'docs':>5} {'ref s':>8} {'ref doc/s':>10} {'fast s':>8} {'fast doc/s':>10} {'ratio':>7}")
    reference, engine = ReferenceScorer(), FastEngine(batch_size=args.batch_size)
    totals = [0, 0.0, 0.0]
    for name in args.tasks.split(","):
        task = get_task(name)
        limit = args.jsquad_limit if task.is_generation else args.limit
        settings = EvalSettings(
            tasks=[task.name],
            num_fewshot=[task.default_fewshot],
            data_dir=args.data_dir,
            shots_from="auto",
            limit=limit,
        )
        (inputs,) = prepare_tasks(settings)
        if task.is_generation:
            contexts = [lm.encode(d.context) for d in inputs.docs]
            ref, ref_s = timed(reference.generate, lm, contexts, lambda n: None)
            fast, fast_s = timed(engine.generate, lm, contexts, lambda n: None)
            check = compare_generation(ref, fast)
        else:
            items = [
                ChoiceItem(tuple(lm.encode(d.context)), tuple(tuple(lm.encode(c)) for c in d.choices))
                for d in inputs.docs
            ]
            ref, ref_s = timed(reference.loglikelihoods, lm, items, lambda n: None)
            fast, fast_s = timed(engine.loglikelihoods, lm, items, lambda n: None)
            check = compare_loglikelihoods(ref, fast)
        if not inputs.jp_stable_prompts:
            check += " (validation stand-in shots)"
        print(row(task.name, len(inputs.docs), ref_s, fast_s, check))
        totals = [totals[0] + len(inputs.docs), totals[1] + ref_s, totals[2] + fast_s]
    print(row("total", *totals))
    return 0


if __name__ == "__main__":
    sys.exit(main())
