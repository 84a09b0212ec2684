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

from stxlib.config.evaluation import EvalSection  # noqa: E402
from stxlib.engine import LocalBackend, LocalModelSpec, load_local_model  # noqa: E402
from stxlib.jglue import prepare_tasks  # noqa: E402
from stxlib.jglue.model import jp_stable_max_length  # noqa: E402
from stxlib.jglue.scoring import choice_item, jsquad_request  # noqa: E402
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
    lm = load_local_model(LocalModelSpec(args.model, dtype="float32"))
    max_length = jp_stable_max_length(lm.model.config, lm.tokenizer)
    reference = LocalBackend(lm, max_length=max_length, mode="reference")
    engine = LocalBackend(lm, max_length=max_length, batch_size=args.batch_size)
    print(
        f"model {args.model} (max_length {max_length}), torch {torch.__version__}, {torch.get_num_threads()} "
        f"threads, engine batch size {args.batch_size}, data {args.data_dir}"
    )
    print(f"{'task':24} {'docs':>5} {'ref s':>8} {'ref doc/s':>10} {'fast s':>8} {'fast doc/s':>10} {'ratio':>7}")
    totals = [0, 0.0, 0.0]
    for name in args.tasks.split(","):
        task = get_task(name)
        limit = args.jsquad_limit if task.is_generation else args.limit
        section = EvalSection(
            tasks=[task.name],
            num_fewshot=[task.default_fewshot],
            data_dir=args.data_dir,
            shots_from="auto",
            limit=limit,
        )
        (inputs,) = prepare_tasks(section)
        if task.is_generation:
            requests = [jsquad_request(engine, d) for d in inputs.docs]
            ref, ref_s = timed(reference.generate, requests)
            fast, fast_s = timed(engine.generate, requests)
            check = compare_generation([g.text for g in ref], [g.text for g in fast])
        else:
            items = [choice_item(engine, d) for d in inputs.docs]
            ref, ref_s = timed(reference.loglikelihoods, items)
            fast, fast_s = timed(engine.loglikelihoods, items)
            check = compare_loglikelihoods(ref, fast)
        if not inputs.jp_stable_prompts:
            check += " (validation stand-in shots)"
        print(row(task.name, len(inputs.docs), ref_s, fast_s, check))
        totals = [totals[0] + len(inputs.docs), totals[1] + ref_s, totals[2] + fast_s]
    print(row("total", *totals))
    return 0


if __name__ == "__main__":
    sys.exit(main())
