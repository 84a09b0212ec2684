"""Run EleutherAI lm-evaluation-harness 0.4.13 on the requests `bench/eval_speed.py` wrote; print nothing, write JSON.

Runs inside the benchmark's own virtual environment (`bench/.lmeval-venv`, made by `eval_speed.py`), never
stx's. It loads the saved model with lm-eval's `HFLM` (`--batch_size` as given, float32, CPU, no BOS) and
feeds it the very requests stx scored:

- multiple choice: `HFLM._loglikelihood_tokens` on `((context, choice), context_ids, choice_ids)` per
  choice, the ids jp-stable encodes (context and choice separately, no BOS). lm-eval's public
  `loglikelihood` would re-encode the pair its own way (spec §10: the context's trailing "\\n" moved into the
  continuation), which changes the numbers by design; everything after the encoding is lm-eval's own code
  (sorting, batching of `batch_size` requests, one forward pass per request, full-vocabulary log-softmax);
- JSQuAD: `HFLM.generate_until` on `(context, {"until": ["\\n"], "max_gen_toks": 256, "do_sample": False})`,
  lm-eval's own tokenisation (checked identical to stx's ids), batching, `model.generate` and stop handling.

    python bench/lmeval_runner.py REQUESTS.json OUT.json

OUT.json: `{"versions", "threads", "load_seconds", "tasks": {task: {"seconds", "loglikelihoods" | "predictions",
"context_ids_identical"}}}`.
"""

from __future__ import annotations

import json
import sys
import time


def main(requests_path: str, out_path: str) -> int:
    import lm_eval
    import torch
    import transformers
    from lm_eval.api.instance import Instance
    from lm_eval.models.huggingface import HFLM

    with open(requests_path, encoding="utf-8") as handle:
        spec = json.load(handle)
    if spec.get("threads"):
        torch.set_num_threads(spec["threads"])
    start = time.perf_counter()
    lm = HFLM(
        pretrained=spec["model"],
        batch_size=spec["batch_size"],
        max_length=spec["max_length"],
        device="cpu",
        dtype="float32",
        add_bos_token=False,
    )
    out = {
        "versions": {
            "lm_eval": lm_eval.__version__,
            "torch": torch.__version__,
            "transformers": transformers.__version__,
        },
        "threads": torch.get_num_threads(),
        "load_seconds": time.perf_counter() - start,
        "tasks": {},
    }
    for task in spec["tasks"]:
        docs = task["docs"]
        start = time.perf_counter()
        if task["kind"] == "generation":
            gen_kwargs = {"until": ["\n"], "max_gen_toks": task["max_new_tokens"], "do_sample": False}
            instances = [
                Instance(request_type="generate_until", doc={}, arguments=(d["context"], dict(gen_kwargs)), idx=0)
                for d in docs
            ]
            predictions = lm.generate_until(instances, disable_tqdm=True)
            seconds = time.perf_counter() - start
            identical = all(lm.tok_encode(d["context"]) == d["context_ids"] for d in docs)
            result = {"predictions": predictions, "context_ids_identical": identical}
        else:
            requests = [
                ((d["context"], choice), d["context_ids"], ids)
                for d in docs
                for choice, ids in zip(d["choices"], d["choice_ids"], strict=True)
            ]
            scores = lm._loglikelihood_tokens(requests, disable_tqdm=True)
            seconds = time.perf_counter() - start
            flat = iter(float(logprob) for logprob, _ in scores)
            result = {"loglikelihoods": [[next(flat) for _ in d["choices"]] for d in docs]}
        out["tasks"][task["task"]] = {"seconds": seconds, **result}
    with open(out_path, "w", encoding="utf-8") as handle:
        json.dump(out, handle, ensure_ascii=False)
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
