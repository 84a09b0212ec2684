"""Samples/s of llm-jp-eval 1.1 generation: batched through the engine against one prompt at a time.

    .venv/bin/python bench/llm_jp_eval_speed.py                       # tiny model, real 1.1 files, 16 per dataset
    .venv/bin/python bench/llm_jp_eval_speed.py --limit 32 --batch-size 16 --threads 1

Both runs generate the same samples (the first N of each dataset in ../shared/data/llm-jp-eval-1.1/test) through
the engine's local backend, greedy, `max_new_tokens = output_length`, stopping at the first newline, without BOS
(1.1's pipeline). The script checks that the predictions are identical, counts the predictions that 1.1's pipeline
decoding (the new tokens decoded in the prompt's context) and decoding the new tokens alone would score
differently, and prints one line per dataset and a total.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from stxlib.engine import LocalModelSpec  # noqa: E402
from stxlib.hardware import set_cpu_threads  # noqa: E402
from stxlib.llm_jp_eval.generation import open_local_backend, output_texts  # noqa: E402
from stxlib.llm_jp_eval.runner import PreparedDataset, RunSettings, prepare  # noqa: E402

Preds = dict[str, dict[str, list[str]]]  # dataset -> decoding -> predictions


def generate(
    spec: LocalModelSpec, prepared: list[PreparedDataset], batch_size: int
) -> tuple[Preds, dict[str, float], dict[str, int]]:
    """Predictions under both decodings, seconds and stopped rows per dataset with one backend of `batch_size`."""
    backend = open_local_backend(spec, batch_size)
    preds: Preds = {}
    seconds, stopped = {}, {}
    try:
        for item in prepared:
            requests = item.requests(add_special_tokens=False)
            start = time.perf_counter()
            generations = backend.generate(requests)
            seconds[item.name] = time.perf_counter() - start
            stopped[item.name] = sum(g.finish_reason == "stop" for g in generations)
            preds[item.name] = {
                decoding: [r["pred"] for r in item.records(output_texts(backend, requests, generations, decoding)[0])]
                for decoding in ("pipeline", "new_tokens")
            }
    finally:
        backend.close()
    return preds, seconds, stopped


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", default=str(REPO.parent / "shared" / "data" / "llm-jp-eval-1.1"))
    parser.add_argument("--model", default="stx-tiny")
    parser.add_argument("--datasets", default="all")
    parser.add_argument("--limit", type=int, default=16, help="samples per dataset")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--dtype", default="float32")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    args = parser.parse_args()
    if args.threads:
        set_cpu_threads(args.threads)
    settings = RunSettings(data_dir=args.data_dir, datasets=tuple(args.datasets.split(",")), limit=args.limit)
    prepared = prepare(settings)
    spec = LocalModelSpec(args.model, dtype=args.dtype)
    single, single_s, _ = generate(spec, prepared, 1)
    batched, batched_s, stopped = generate(spec, prepared, args.batch_size)
    print(f"{args.model}, batch size {args.batch_size} vs 1, {args.limit} samples per dataset")
    head = f"{'dataset':16} {'n':>4} {'one s':>8} {'one/s':>8} {'batch s':>8} {'batch/s':>8} {'ratio':>6}"
    print(f"{head} {'stops':>5} {'decode Δ':>8}  check")
    total_n = total_stops = total_decode = 0
    for name, preds in single.items():
        n = len(preds["pipeline"])
        differ = sum(a != b for a, b in zip(preds["pipeline"], batched[name]["pipeline"], strict=True))
        decode = sum(a != b for a, b in zip(preds["pipeline"], preds["new_tokens"], strict=True))
        total_n, total_stops, total_decode = total_n + n, total_stops + stopped[name], total_decode + decode
        same = "identical" if not differ else f"{differ} DIFFER"
        print(
            f"{name:16} {n:4d} {single_s[name]:8.2f} {n / single_s[name]:8.2f} {batched_s[name]:8.2f} "
            f"{n / batched_s[name]:8.2f} {single_s[name] / batched_s[name]:5.1f}x {stopped[name]:5d} "
            f"{decode:8d}  {same}"
        )
    one, many = sum(single_s.values()), sum(batched_s.values())
    rates = f"{total_n / one:8.2f} {many:8.2f} {total_n / many:8.2f} {one / many:5.1f}x"
    print(f"{'total':16} {total_n:4d} {one:8.2f} {rates} {total_stops:5d} {total_decode:8d}")
    print("stops: rows ended by the first newline; decode Δ: predictions where 1.1's pipeline decoding and decoding")
    print("the new tokens alone differ (single-prompt run)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
