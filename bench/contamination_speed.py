"""Training rows/s of the contamination check: a synthetic 13k-row training mix against the JGLUE validation sets.

    .venv/bin/python bench/contamination_speed.py                  # 13,167 rows (3 × 4,389, the STX mix), n=20
    .venv/bin/python bench/contamination_speed.py --rows 50000 --n 13

The training rows are generated Japanese-like text (hiragana, katakana, common kanji, punctuation; lengths
around 600 characters, as the STX mix's input + output) in the `data/train.jsonl` layout; `--plant` rows
additionally carry a copied JSQuAD paragraph (TyDiQA-ja and JSQuAD share Wikipedia), so the check has real
overlaps to find. Evaluation sets: every JGLUE validation file in `../shared/data/jglue-v1.1` (JSQuAD 4,442
questions, JCommonsenseQA 1,119, JNLI 2,434). Prints the time of each part and rows/s.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from stxlib.contamination import TrainingSource, check_overlap, jglue_sets  # noqa: E402
from stxlib.io import read_json  # noqa: E402

HIRAGANA = [chr(c) for c in range(0x3041, 0x3094)]
KATAKANA = [chr(c) for c in range(0x30A1, 0x30F7)]
KANJI = list("日本人年大中国時出行学生会社事者自分上下前後方見本当話気手入地場業物作方法問題東京市県政府経済")
PUNCT = list("、。「」・ー（）")


def synthetic_rows(rows: int, seed: int, plant: list[str], every: int) -> list[dict[str, str]]:
    rng = np.random.default_rng(seed)
    alphabet = np.array(HIRAGANA * 6 + KATAKANA * 2 + KANJI * 3 + PUNCT * 2)
    lengths = np.clip(rng.lognormal(np.log(560), 0.35, size=rows).astype(int), 80, 2400)
    text = "".join(alphabet[rng.integers(0, len(alphabet), size=int(lengths.sum()))])
    out, start = [], 0
    for index, length in enumerate(lengths):
        body = text[start : start + length]
        start += length
        if plant and index % every == 0:
            body = body[: length // 2] + plant[(index // every) % len(plant)] + body[length // 2 :]
        cut = int(length * 0.8)
        out.append({"source": "synthetic", "input": body[:cut], "output": body[cut:]})
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=3 * 4389)
    parser.add_argument("--n", type=int, default=20)
    parser.add_argument("--plant", type=int, default=100, help="rows carrying a copied JSQuAD paragraph")
    parser.add_argument("--data", default=str(REPO.parent / "shared" / "data" / "jglue-v1.1"))
    args = parser.parse_args()

    contexts = [
        p["context"].split("[SEP]", 1)[-1]
        for article in read_json(Path(args.data) / "jsquad-v1.1" / "valid-v1.1.json")["data"]
        for p in article["paragraphs"]
    ][: args.plant]
    every = max(args.rows // max(args.plant, 1), 1)
    with tempfile.TemporaryDirectory() as tmp:
        train = Path(tmp) / "train.jsonl"
        rows = synthetic_rows(args.rows, 0, contexts, every)
        train.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
        chars = sum(len(r["input"]) + len(r["output"]) for r in rows)
        print(f"training: {len(rows):,} rows, {chars:,} characters ({chars / len(rows):.0f} per row)")

        started = time.perf_counter()
        sets = jglue_sets(args.data)
        read_s = time.perf_counter() - started
        source = TrainingSource("train.jsonl", train, "jsonl", ("input", "output"))
        started = time.perf_counter()
        result = check_overlap([source], sets, n=args.n)
        check_s = time.perf_counter() - started

    print(f"evaluation sets read in {read_s:.2f} s: " + ", ".join(f"{s.name} {len(s.ids):,}" for s in sets))
    for entry in result["eval_sets"]:
        print(
            f"  {entry['name']:22} {entry['contaminated']:5d}/{entry['documents']:<5d} documents overlap, "
            f"longest {entry['longest']} chars"
        )
    print(f"n={args.n}: check {check_s:.2f} s -> {len(rows) / check_s:,.0f} training rows/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
