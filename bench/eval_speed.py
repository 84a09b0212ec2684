"""JGLUE evaluation speed: stx's engine against EleutherAI lm-evaluation-harness 0.4.13, same requests, same model.

    .venv/bin/python bench/eval_speed.py                   # the compute-bound model, stx then lm-eval, ratio
    .venv/bin/python bench/eval_speed.py --repeat 2        # stx, lm-eval, stx, lm-eval: one ratio per round
    .venv/bin/python bench/eval_speed.py --no-lmeval       # stx only (per-task figures and the lower bound)
    .venv/bin/python bench/eval_speed.py --busy 1          # with another process spinning on one core
    .venv/bin/python bench/eval_speed.py --model stx-tiny --limit 20

Job: real JGLUE v1.1 documents from ../shared/data/jglue-v1.1 (the first 60 of the seed-42 order of JSQuAD,
JCommonsenseQA and JNLI) and the 12 MARC-ja documents of tests/fixtures/jglue (MARC-ja is not shipped in the
shared folder), shots 2,3,3,3. JCommonsenseQA and MARC-ja draw their shots from their train files (the exact
jp-stable procedure), JSQuAD and JNLI from the validation stand-in (their train splits are not shipped).
Model: `speed_model.build_compute_model` (random Llama, ~28M parameters, float32; see there), saved once.

stx runs in this process through the code `stx eval` runs (`stxlib.jglue.evaluate`, results and samples
written under --out). lm-eval runs in its own virtual environment (`bench/.lmeval-venv`, created on first use:
torch 2.13.0 CPU, then lm-eval 0.4.13 with stx's transformers version) through `bench/lmeval_runner.py`,
which feeds its `HFLM` (batch size 4) the same requests: the context ids jp-stable encodes for every choice,
and the JSQuAD contexts as text (lm-eval tokenises them; the ids are checked identical to stx's). Both load
the saved model; times are the model load plus the work of each task, in-process, both on all cores
(torch's default) unless --threads. The script checks that the prompts are identical (stx's samples against
lm-eval's requests), that every multiple-choice argmax agrees (and prints the largest |Δ log-likelihood|)
and that every JSQuAD prediction is the same string.

Per task: wall seconds, documents/s, context and generated tokens/s, the padding share of the positions stx
fed, the prefix positions it reused, the lower bound (forward FLOPs of the job's real tokens at the
measured forward rate of this model; lm-eval's work repeats each context per choice), and lm-eval's time.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from speed_model import DEFAULT_STOP_NUDGE, FlopModel, build_compute_model, measure_rate  # noqa: E402

LMEVAL_VENV = REPO / "bench" / ".lmeval-venv"
LMEVAL_PINS = (["torch==2.13.0"], ["lm-eval[hf]==0.4.13"])  # torch first: the CPU wheel of exactly that version
TASKS = "jsquad,jcommonsenseqa,jnli,marc_ja"
FEWSHOT = "2,3,3,3"


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def lmeval_python() -> Path:
    """The benchmark's lm-eval environment, created on first use."""
    python = LMEVAL_VENV / "bin" / "python"
    if not python.is_file():
        import transformers

        print(f"creating {LMEVAL_VENV} (torch 2.13.0, lm-eval 0.4.13, transformers {transformers.__version__})")
        subprocess.run([sys.executable, "-m", "venv", str(LMEVAL_VENV)], check=True)
        pins = [*LMEVAL_PINS[:-1], [*LMEVAL_PINS[-1], f"transformers=={transformers.__version__}"]]
        for pin in pins:
            subprocess.run([str(python), "-m", "pip", "install", "-q", *pin], check=True)
    return python


def data_folder(out: Path, shared: Path) -> Path:
    """A raw-layout folder: the shared v1.1 files plus the MARC-ja fixture (links, made once)."""
    folder = out / "jglue-data"
    folder.mkdir(parents=True, exist_ok=True)
    sources = {name: shared / name for name in ("jsquad-v1.1", "jcommonsenseqa-v1.1", "jnli-v1.1")}
    sources["marc_ja-v1.1"] = REPO / "tests" / "fixtures" / "jglue" / "marc_ja-v1.1"
    for name, source in sources.items():
        link = folder / name
        if not link.exists():
            link.symlink_to(source.resolve())
    return folder


def run_stx(args, model_path: str, data_dir: Path, out: Path):
    """Evaluate with stx as `stx eval` does; returns (inputs, backend, results, load seconds)."""
    from stxlib.config.evaluation import EvalSection
    from stxlib.config.models import ModelRef
    from stxlib.engine import LocalModelSpec
    from stxlib.jglue import evaluate, prepare_tasks
    from stxlib.jglue.model import ModelSpec, open_backend

    section = EvalSection(
        models=[ModelRef(label="bench", model=model_path)],
        tasks=args.tasks.split(","),
        num_fewshot=[int(k) for k in args.num_fewshot.split(",")],
        data_dir=str(data_dir),
        shots_from="auto",
        limit=args.limit,
        dtype="float32",
        **({"batch_size": args.batch_size} if args.batch_size else {}),
    )
    spec = ModelSpec("bench", LocalModelSpec(model_path, dtype="float32"))
    inputs = prepare_tasks(section)
    start = time.perf_counter()
    backend = open_backend(spec, section)
    load = time.perf_counter() - start
    results = evaluate(spec, section, out / "stx", inputs=inputs, backend=backend, force=True)
    return inputs, backend, results, load


def lmeval_requests(inputs, backend, model_path: str, batch_size: int, threads: int | None) -> dict:
    tasks = []
    for task in inputs:
        docs = []
        for doc in task.docs:
            entry = {"context": doc.context, "context_ids": backend.encode(doc.context)}
            if doc.choices:
                entry.update(choices=list(doc.choices), choice_ids=[backend.encode(c) for c in doc.choices])
            docs.append(entry)
        kind = "choice" if task.docs[0].choices else "generation"
        tasks.append({"task": task.task, "kind": kind, "max_new_tokens": 256, "docs": docs})
    return {
        "model": model_path,
        "batch_size": batch_size,
        "max_length": backend.max_length,
        "threads": threads,
        "tasks": tasks,
    }


def run_lmeval(requests: dict, out: Path) -> tuple[dict, float]:
    python = lmeval_python()
    request_file, result_file = out / "lmeval_requests.json", out / "lmeval_results.json"
    request_file.write_text(json.dumps(requests, ensure_ascii=False))
    start = time.perf_counter()
    subprocess.run(
        [str(python), str(REPO / "bench" / "lmeval_runner.py"), str(request_file), str(result_file)],
        check=True,
        env={**os.environ, "PYTHONPATH": "", "TOKENIZERS_PARALLELISM": "false"},
    )
    return json.loads(result_file.read_text()), time.perf_counter() - start


def argmax(row):
    return max(range(len(row)), key=row.__getitem__)


def compare(task: str, out: Path, requests: dict, lmeval: dict) -> str:
    """Prompts, argmax and predictions of stx's samples against lm-eval's outputs for one task."""
    samples = [json.loads(line) for line in (out / "stx" / f"samples_{task}.jsonl").read_text().splitlines()]
    samples.sort(key=lambda s: s["position"])
    sent = next(t for t in requests["tasks"] if t["task"] == task)["docs"]
    theirs = lmeval["tasks"][task]
    prompts = all(s["prompt"] == d["context"] for s, d in zip(samples, sent, strict=True))
    notes = [f"prompts {'identical' if prompts else 'DIFFER'}"]
    if "predictions" in theirs:
        differ = sum(s["prediction"] != p for s, p in zip(samples, theirs["predictions"], strict=True))
        notes.append("predictions identical" if not differ else f"{differ} predictions DIFFER")
        notes.append("lm-eval ids identical" if theirs["context_ids_identical"] else "lm-eval ids DIFFER")
    else:
        pairs = list(zip([s["loglikelihoods"] for s in samples], theirs["loglikelihoods"], strict=True))
        delta = max(abs(a - b) for r, t in pairs for a, b in zip(r, t, strict=True))
        same = all(argmax(r) == argmax(t) for r, t in pairs)
        notes.append(f"argmax {'identical' if same else 'DIFFERS'}, max |Δll| {delta:.1e}")
    return ", ".join(notes)


def task_work(task, backend, flops: FlopModel, results: dict) -> tuple[float, float, int, int]:
    """(stx work, lm-eval work) in FLOPs, context tokens, generated tokens of one task."""
    contexts = [len(backend.encode(d.context)) for d in task.docs]
    if task.docs[0].choices:
        choices = [[len(backend.encode(c)) for c in d.choices] for d in task.docs]
        ours = sum(flops.choices(c, ch) for c, ch in zip(contexts, choices, strict=True))
        theirs = sum(flops.choices(c, ch, repeat_context=True) for c, ch in zip(contexts, choices, strict=True))
        return ours, theirs, sum(contexts) + sum(map(sum, choices)), 0
    generated = results["config"]["task_details"][task.task]["engine"]["generated_tokens"]
    prompts = sum(flops.sequence(0, c, 1) for c in contexts)
    decode = generated * (flops.linear + flops.head + flops.attention * sum(contexts) / len(contexts))
    return prompts + decode, prompts + decode, sum(contexts), generated


def print_round(args, inputs, backend, results, load, lmeval, lmeval_wall, requests, rate, flops, out) -> float:
    details = results["config"]["task_details"]
    header = (
        f"{'task':24} {'docs':>4} {'stx s':>7} {'doc/s':>6} {'ctx tok/s':>9} {'gen tok/s':>9} {'pad':>5} "
        f"{'reused':>6} {'bound s':>7} {'lm-eval s':>9} {'ratio':>6}  check"
    )
    print(header)
    totals = {"stx": load, "bound": 0.0, "lmeval": lmeval["load_seconds"] if lmeval else 0.0, "lm_bound": 0.0}
    for task in inputs:
        detail = details[task.task]
        engine = detail["engine"]
        ours, theirs, context_tokens, generated = task_work(task, backend, flops, results)
        seconds = detail["seconds"]
        pad = engine["padding_tokens"] / max(engine["fed_tokens"], 1)
        reused = engine["prefix_tokens_reused"] / max(engine["fed_tokens"] + engine["prefix_tokens_reused"], 1)
        theirs_s = lmeval["tasks"][task.task]["seconds"] if lmeval else float("nan")
        check = compare(task.task, out, requests, lmeval) if lmeval else ""
        print(
            f"{task.task:24} {len(task.docs):4d} {seconds:7.2f} {len(task.docs) / seconds:6.1f} "
            f"{context_tokens / seconds:9.0f} {generated / seconds:9.1f} {pad:5.1%} {reused:6.1%} "
            f"{ours / rate:7.2f} {theirs_s:9.2f} {seconds / theirs_s:6.2f}  {check}"
        )
        totals["stx"] += seconds
        totals["bound"] += ours / rate
        totals["lmeval"] += theirs_s
        totals["lm_bound"] += theirs / rate
    ratio = totals["stx"] / totals["lmeval"] if lmeval else float("nan")
    print(f"{'model load':24} {'':4} {load:7.2f} {'':41} {lmeval['load_seconds'] if lmeval else float('nan'):9.2f}")
    print(
        f"{'total':24} {'':4} {totals['stx']:7.2f} {'':34} {totals['bound']:7.2f} {totals['lmeval']:9.2f} {ratio:6.2f}"
    )
    if lmeval:
        print(
            f"stx/lm-eval = {ratio:.3f} (model load + tasks); lm-eval's whole process {lmeval_wall:.1f} s; "
            f"arithmetic bounds: stx {totals['bound']:.1f} s, lm-eval's work {totals['lm_bound']:.1f} s "
            f"(bound ratio {totals['bound'] / totals['lm_bound']:.2f}); lm-eval threads {lmeval['threads']}, "
            f"{lmeval['versions']}"
        )
    return ratio


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="compute", help="compute (the benchmark model), stx-tiny or a folder")
    parser.add_argument("--stop-nudge", type=float, default=DEFAULT_STOP_NUDGE, help="see speed_model.py (0: off)")
    parser.add_argument("--shared", default=str(REPO.parent / "shared" / "data" / "jglue-v1.1"))
    parser.add_argument("--tasks", default=TASKS)
    parser.add_argument("--num-fewshot", default=FEWSHOT)
    parser.add_argument("--limit", type=int, default=60, help="documents per task (MARC-ja has 12)")
    parser.add_argument("--batch-size", type=int, default=None, help="stx engine batch size (default: eval's)")
    parser.add_argument("--lmeval-batch-size", type=int, default=4)
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads on both sides (default: all)")
    parser.add_argument("--repeat", type=int, default=1, help="rounds of stx then lm-eval")
    parser.add_argument("--no-lmeval", action="store_true")
    parser.add_argument("--busy", type=int, default=0, help="other processes spinning on a core each, throughout")
    parser.add_argument("--out", default=str(REPO / "bench" / "out" / "eval-speed"))
    args = parser.parse_args()

    import torch
    import transformers

    if args.threads:
        torch.set_num_threads(args.threads)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if args.model == "compute":
        model_path = str(build_compute_model(out / "model-28m", args.stop_nudge))
    else:
        from stxlib.tiny_model import resolve_model_path

        model_path = resolve_model_path(args.model)
    data_dir = data_folder(out, Path(args.shared))
    from stxlib.engine import LocalModelSpec, load_local_model

    probe = load_local_model(LocalModelSpec(model_path, dtype="float32"))
    flops = FlopModel.of(probe.model.config)
    rate = measure_rate(probe.model, flops)
    params = sum(p.numel() for p in probe.model.parameters())
    probe.close()
    print(
        f"model {model_path}: {params / 1e6:.1f}M parameters, forward rate {rate / 1e9:.1f} GFLOP/s "
        f"(= {rate / flops.sequence(0, 512, 0) * 512:.0f} tokens/s at 512-token sequences); torch "
        f"{torch.__version__}, transformers {transformers.__version__}, {torch.get_num_threads()} threads; "
        f"load average {load_average()}"
    )
    spinners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(args.busy)]
    if spinners:
        print(f"{len(spinners)} other process(es) spinning on a core each")
    try:
        ratios = run_rounds(args, model_path, data_dir, out, rate, flops)
    finally:
        for spinner in spinners:
            spinner.kill()
            spinner.wait()
    if len(ratios) > 1 and not args.no_lmeval:
        print(f"\nratios {', '.join(f'{r:.3f}' for r in ratios)}; median {statistics.median(ratios):.3f}")
    return 0


def run_rounds(args, model_path: str, data_dir: Path, out: Path, rate: float, flops: FlopModel) -> list[float]:
    ratios = []
    for round_ in range(1, args.repeat + 1):
        print(f"\nround {round_}: stx (load average {load_average()})")
        inputs, backend, results, load = run_stx(args, model_path, data_dir, out)
        requests = lmeval_requests(inputs, backend, model_path, args.lmeval_batch_size, args.threads)
        lmeval, wall = None, 0.0
        if not args.no_lmeval:
            print(f"round {round_}: lm-eval (load average {load_average()})")
            lmeval, wall = run_lmeval(requests, out)
        print(
            f"stx batch size {backend.batch_size}, decoder {backend.last_decoder}, threads "
            f"{results['config'].get('torch_threads')}; load average after {load_average()}"
        )
        ratios.append(print_round(args, inputs, backend, results, load, lmeval, wall, requests, rate, flops, out))
        backend.close()
    return ratios


if __name__ == "__main__":
    sys.exit(main())
