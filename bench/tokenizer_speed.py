"""Speed of the tokenizer stage: characters/s of the chars/token measurement (one call per document vs batched),
and the wall time of Shisa's extension (tokenizer only) on the real 32k Mistral-7B-v0.1 tokenizer.

    .venv/bin/python bench/tokenizer_speed.py                      # JSQuAD v1.1 contexts from ../shared/data
    .venv/bin/python bench/tokenizer_speed.py --repeat 20 --vocab-sizes 8000,99062

The corpus is the 1,145 JSQuAD validation paragraphs (about 210k characters) repeated `--repeat` times, written
as JSON lines and streamed like any corpus. The extension trains on the first 900 paragraphs and is measured on
the other 245 (held out), so the same run prints Shisa-style before/after figures.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from stxlib.config import CorpusRef, ExtensionSection  # noqa: E402
from stxlib.io import write_jsonl  # noqa: E402
from stxlib.tokenizer.efficiency import load_tokenizer, measure_corpora  # noqa: E402
from stxlib.tokenizer.extend import extend_tokenizer_and_model  # noqa: E402


def contexts(data_dir: Path) -> list[str]:
    data = json.loads((data_dir / "jsquad-v1.1" / "valid-v1.1.json").read_text("utf-8"))
    return [p["context"] for article in data["data"] for p in article["paragraphs"]]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", default=str(REPO.parent / "shared" / "data" / "jglue-v1.1"))
    parser.add_argument("--tokenizers", default="stx-mistral-tokenizer,stx-tiny")
    parser.add_argument("--repeat", type=int, default=10, help="copies of the 1,145 paragraphs in the corpus")
    parser.add_argument("--batch-sizes", default="1,256")
    parser.add_argument("--vocab-sizes", default="8000,99062", help="trained BPE sizes for the extension")
    args = parser.parse_args()
    texts = contexts(Path(args.data_dir))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        write_jsonl(folder / "corpus.jsonl", [{"text": t} for _ in range(args.repeat) for t in texts])
        write_jsonl(folder / "train.jsonl", [{"text": t} for t in texts[:900]])
        write_jsonl(folder / "held.jsonl", [{"text": t} for t in texts[900:]])
        corpus = CorpusRef(name="jsquad", path=str(folder / "corpus.jsonl"))
        chars = args.repeat * sum(len(t) for t in texts)
        print(f"measurement: {args.repeat * len(texts)} documents, {chars:,} characters")
        print(f"{'tokenizer':24} {'batch':>6} {'seconds':>8} {'Mchar/s':>8} {'chars/token':>11}")
        loaded = {name: load_tokenizer(name) for name in args.tokenizers.split(",")}
        for name, tokenizer in loaded.items():
            for size in map(int, args.batch_sizes.split(",")):
                start = time.perf_counter()
                result = measure_corpora({name: tokenizer}, [corpus], size)[0]
                seconds = time.perf_counter() - start
                print(f"{name:24} {size:6d} {seconds:8.2f} {chars / seconds / 1e6:8.2f} {result.chars_per_token:11.4f}")
        print("\nextension of stx-mistral-tokenizer (tokenizer only), trained on 900 paragraphs, held out 245")
        print(f"{'vocab_size':>10} {'seconds':>8} {'added':>7} {'skipped':>7} {'held-out before':>15} {'after':>7}")
        base = loaded.get("stx-mistral-tokenizer") or load_tokenizer("stx-mistral-tokenizer")
        held = CorpusRef(name="held", path=str(folder / "held.jsonl"))
        for vocab_size in map(int, args.vocab_sizes.split(",")):
            ext = ExtensionSection(
                enabled=True,
                corpus=CorpusRef(name="train", path=str(folder / "train.jsonl")),
                vocab_size=vocab_size,
                resize_model=False,
            )
            out = folder / f"ext-{vocab_size}"
            start = time.perf_counter()
            summary = extend_tokenizer_and_model(ext, "stx-mistral-tokenizer", out / "extended", out / "extension.json")
            seconds = time.perf_counter() - start
            extended = load_tokenizer(str(out / "extended"))
            before, after = measure_corpora({"base": base, "ext": extended}, [held])
            print(
                f"{vocab_size:10d} {seconds:8.1f} {summary['added']:7d} {summary['skipped']:7d} "
                f"{before.chars_per_token:15.4f} {after.chars_per_token:7.4f}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
