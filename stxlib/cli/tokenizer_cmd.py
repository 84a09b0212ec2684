"""`stx tokenizer stats ...` (characters per token, Shisa's definition) and `stx tokenizer extend ...` (Shisa's
tokenizer extension) without a params file."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from stxlib.cli.common import fail, guarded


def _positive(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {value!r}") from None
    if number <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive number of documents, got {number}")
    return number


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("tokenizer", help="tokenizer efficiency (chars/token) and Shisa's tokenizer extension")
    actions = parser.add_subparsers(dest="tokenizer_command", metavar="ACTION", required=True)

    stats = actions.add_parser(
        "stats",
        help="characters per token of tokenizers over corpora",
        description="sum(len(text)) / sum(len(tokenizer(text)['input_ids'])) over the first N documents of each "
        "corpus, default tokenizer call (BOS counted), as Shisa measured it.",
    )
    stats.add_argument(
        "--tokenizer",
        action="append",
        required=True,
        metavar="PATH",
        help="hub id, folder, stx-tiny or stx-mistral-tokenizer (repeatable)",
    )
    stats.add_argument(
        "--corpus",
        action="append",
        required=True,
        metavar="FILE",
        help="JSON lines with `text`, parquet with a `text` column, or text, one document a line",
    )
    stats.add_argument("--limit", type=_positive, default=None, help="the first N documents of each corpus")
    stats.add_argument("--batch-size", type=_positive, default=256, help="documents per tokenizer call")
    stats.add_argument("--out", default=None, metavar="F.json", help="write the results as JSON")
    stats.set_defaults(handler=_guard(_stats))

    extend = actions.add_parser(
        "extend",
        help="extend a tokenizer (and resize its model) with a BPE trained on a Japanese corpus",
        description="Shisa's extension: train a BPE with the base's pipeline, append the tokens the base lacks, "
        "rebuild the merges, resize the embeddings to a multiple of 64 and start each new row as the mean of its "
        "pieces' rows. Writes OUT/extended/ (model + tokenizer), OUT/extension.json and, with --eval-corpus, "
        "OUT/efficiency.json.",
    )
    extend.add_argument("--base", required=True, help="model folder or hub id to extend (stx-tiny works)")
    extend.add_argument("--base-tokenizer", default=None, help="its tokenizer when it lives elsewhere")
    extend.add_argument("--corpus", required=True, metavar="FILE", help="Japanese text to train the BPE on")
    extend.add_argument("--limit", type=_positive, default=None, help="the first N documents of the corpus")
    extend.add_argument("--out", required=True, metavar="DIR", help="output folder")
    extend.add_argument("--vocab-size", type=_positive, default=99062, help="trained BPE size (Shisa: 2**17-32000-10)")
    extend.add_argument("--max-token-length", type=_positive, default=24, help="longest token in characters (24)")
    extend.add_argument("--min-frequency", type=int, default=0, help="BPE trainer min_frequency (Shisa: 0)")
    extend.add_argument("--skip", choices=["shisa", "digits_or_punctuation"], default="shisa")
    extend.add_argument("--merges", choices=["rebuild", "append"], default="rebuild")
    extend.add_argument("--pad-to-multiple-of", type=_positive, default=64)
    extend.add_argument("--dtype", choices=["auto", "float32", "bfloat16", "float16"], default="auto")
    extend.add_argument("--tokenizer-only", action="store_true", help="extend the tokenizer, leave the model alone")
    extend.add_argument(
        "--eval-corpus",
        action="append",
        default=[],
        metavar="FILE",
        help="measure chars/token before and after on this corpus (repeatable)",
    )
    extend.add_argument("--eval-limit", type=_positive, default=None, help="the first N documents of each")
    extend.set_defaults(handler=_guard(_extend))


def _guard(func: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    from stxlib.modeling import ModelLoadError
    from stxlib.tokenizer.corpus import CorpusError
    from stxlib.tokenizer.extension import ExtensionError

    return guarded(func, CorpusError, ModelLoadError, ExtensionError, ValueError, OSError)


def _corpora(files: list[str], limit: int | None) -> list[Any]:
    from stxlib.tokenizer.corpus import local_corpus

    stems = [Path(f).stem for f in files]
    return [
        local_corpus(f, limit, name=stem if stems.count(stem) == 1 else str(Path(f).expanduser()))
        for f, stem in zip(files, stems, strict=True)
    ]


def _stats(args: argparse.Namespace) -> int:
    from stxlib.io import write_json
    from stxlib.tokenizer.efficiency import efficiency_payload, load_tokenizer, measure_corpora

    if len(set(args.tokenizer)) != len(args.tokenizer):
        return fail("the same --tokenizer is given twice")
    corpora = _corpora(args.corpus, args.limit)
    names = {name: name for name in args.tokenizer}
    loaded = {name: load_tokenizer(name) for name in names}
    results = measure_corpora(loaded, corpora, args.batch_size)
    _print_table(results)
    if args.out:
        write_json(args.out, efficiency_payload(results, names, corpora))
        print(f"wrote {args.out}")
    return 0


def _extend(args: argparse.Namespace) -> int:
    from stxlib.config import ExtensionSection
    from stxlib.io import write_json
    from stxlib.tokenizer.efficiency import efficiency_payload, load_tokenizer, measure_corpora
    from stxlib.tokenizer.extend import extend_tokenizer_and_model
    from stxlib.tokenizer.views import extension_frame

    if args.min_frequency < 0:
        return fail(f"--min-frequency must be 0 or more, got {args.min_frequency}")
    out = Path(args.out).expanduser().resolve()
    corpus = _corpora([args.corpus], args.limit)[0]
    ext = ExtensionSection(
        enabled=True,
        base_model=args.base,
        corpus=corpus,
        vocab_size=args.vocab_size,
        max_token_length=args.max_token_length,
        min_frequency=args.min_frequency,
        skip=args.skip,
        merges=args.merges,
        pad_to_multiple_of=args.pad_to_multiple_of,
        resize_model=not args.tokenizer_only,
        dtype=args.dtype,
    )
    summary = extend_tokenizer_and_model(
        ext, args.base, out / "extended", out / "extension.json", base_tokenizer=args.base_tokenizer
    )
    print(
        f"added {summary['added']} tokens ({summary['already_present']} already present, {summary['skipped']} "
        f"skipped) -> vocab_size {summary['vocab_size']}, {summary['tokenizer_len']} tokens, "
        f"{summary['embedding_rows']} embedding rows; wrote {out / 'extended'}"
    )
    if args.eval_corpus:
        corpora = _corpora(args.eval_corpus, args.eval_limit)
        names = {"base": args.base_tokenizer or args.base, "extended": str(out / "extended")}
        loaded = {label: load_tokenizer(name) for label, name in names.items()}
        results = measure_corpora(loaded, corpora)
        write_json(out / "efficiency.json", efficiency_payload(results, names, corpora))
        print(extension_frame(results, "base", "extended").to_string(index=False))
    return 0


def _print_table(results: list[Any]) -> None:
    from stxlib.tokenizer.views import results_frame

    frame = results_frame(results)
    frame["chars_per_token"] = frame["chars_per_token"].map(lambda v: f"{v:.4f}")
    print(frame.to_string(index=False))
