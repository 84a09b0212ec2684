"""`stx tiny-model DIR`: build the embedded tiny Llama model and tokenizer."""

from __future__ import annotations

import argparse

from stxlib.cli.common import guarded
from stxlib.tiny_model import build_tiny_model


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("tiny-model", help="build the embedded tiny Llama-architecture model into DIR")
    parser.add_argument("dir", help="output folder (replaced if it exists)")
    parser.add_argument(
        "--pretrained", action="store_true", help="pre-train it on the fixture text (stx-tiny-pretrained, the demo's)"
    )
    parser.set_defaults(handler=guarded(_tiny, FileNotFoundError, OSError))


def _tiny(args: argparse.Namespace) -> int:
    out = build_tiny_model(args.dir, pretrained=args.pretrained)
    print(f"tiny model written to {out}")
    return 0
