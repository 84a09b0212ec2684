"""A real 32k Llama-family tokenizer offline: Mistral-7B-v0.1's SentencePiece model, as shipped in the
`mistral-common` wheel (Apache-2.0) as `mistral_common/data/tokenizer.model.v1`.

`make venv` downloads the wheel without installing it (mistral-common pins numpy < 2.4) and runs
`python -m stxlib.tokenizer.offline --install .whl/`, which copies that one file into the stx cache as
`tokenizer.model` and adds the tokenizer settings of Mistral-7B-v0.1's hub folder (BOS added, no EOS);
`LlamaTokenizer` converts it to a fast tokenizer on load (about a second). The name `stx-mistral-tokenizer`
then resolves to that folder, as `stx-tiny` resolves to the tiny model.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import zipfile
from pathlib import Path

from stxlib.tiny_model import cache_root, resolve_model_path

MISTRAL_TOKENIZER_NAME = "stx-mistral-tokenizer"
MISTRAL_COMMON_VERSION = "1.13.1"
WHEEL_MEMBER = "mistral_common/data/tokenizer.model.v1"
# sha256 of tokenizer.model.v1 in mistral-common 1.13.1 (493,443 bytes; 32,000 pieces, byte fallback).
MODEL_SHA256 = "dadfd56d766715c61d2ef780a525ab43b8e6da4de6865bda3d95fdef5e134055"
FOLDER_NAME = "mistral-v1-tokenizer"
# The settings of Mistral-7B-v0.1's tokenizer_config.json that change what a default call returns.
TOKENIZER_CONFIG = {
    "tokenizer_class": "LlamaTokenizer",
    "add_bos_token": True,
    "add_eos_token": False,
    "bos_token": "<s>",
    "eos_token": "</s>",
    "unk_token": "<unk>",
    "clean_up_tokenization_spaces": False,
}


class MissingOfflineTokenizerError(FileNotFoundError):
    """`stx-mistral-tokenizer` was asked for but the set-up has not copied it into the stx cache."""


def mistral_tokenizer_dir(cache_dir: Path | None = None) -> Path:
    return (cache_dir or cache_root()) / FOLDER_NAME


def is_installed(cache_dir: Path | None = None) -> bool:
    folder = mistral_tokenizer_dir(cache_dir)
    return all((folder / name).is_file() for name in ("tokenizer.model", "tokenizer_config.json"))


def require_mistral_tokenizer(cache_dir: Path | None = None) -> Path:
    """The folder of the offline Mistral tokenizer; a clear error when the set-up has not installed it."""
    folder = mistral_tokenizer_dir(cache_dir)
    if not is_installed(cache_dir):
        raise MissingOfflineTokenizerError(
            f"{MISTRAL_TOKENIZER_NAME} is not installed ({folder} is missing or incomplete): run `make venv`, which "
            f"copies Mistral-7B-v0.1's tokenizer out of the mistral-common {MISTRAL_COMMON_VERSION} wheel"
        )
    return folder


def resolve_tokenizer_path(name_or_path: str) -> str:
    """`stx-mistral-tokenizer` and `stx-tiny` -> their cache folders; anything else unchanged."""
    if name_or_path == MISTRAL_TOKENIZER_NAME:
        return str(require_mistral_tokenizer())
    return resolve_model_path(name_or_path)


def find_wheel(location: Path) -> Path:
    """The mistral-common wheel: `location` itself or the newest matching wheel inside that folder."""
    if location.is_file():
        return location
    wheels = sorted(location.glob(f"mistral_common-{MISTRAL_COMMON_VERSION}-*.whl"))
    if not wheels:
        raise FileNotFoundError(
            f"no mistral_common-{MISTRAL_COMMON_VERSION}-*.whl in {location}; download it with "
            f"`pip download --no-deps mistral-common=={MISTRAL_COMMON_VERSION} -d {location}`"
        )
    return wheels[-1]


def install_from_wheel(wheel: Path, cache_dir: Path | None = None) -> Path:
    """Copy the SentencePiece model out of the wheel into the stx cache (checked by sha256), write Mistral's
    tokenizer settings and check that it loads. Atomic: the folder is complete or absent."""
    from stxlib.io import atomic_dir

    wheel = find_wheel(Path(wheel))
    with zipfile.ZipFile(wheel) as archive:
        try:
            data = archive.read(WHEEL_MEMBER)
        except KeyError:
            raise FileNotFoundError(f"{wheel} has no {WHEEL_MEMBER}; is it a mistral-common wheel?") from None
    digest = hashlib.sha256(data).hexdigest()
    if digest != MODEL_SHA256:
        raise ValueError(f"{WHEEL_MEMBER} in {wheel} has sha256 {digest}, expected {MODEL_SHA256}")
    target = mistral_tokenizer_dir(cache_dir)
    with atomic_dir(target) as tmp:
        (tmp / "tokenizer.model").write_bytes(data)
        (tmp / "tokenizer_config.json").write_text(json.dumps(TOKENIZER_CONFIG, indent=2) + "\n")
        _check_loads(tmp)
    return target


def _check_loads(folder: Path) -> None:
    """The folder loads as a 32,000-token Llama tokenizer that puts BOS first."""
    from transformers import LlamaTokenizer

    tokenizer = LlamaTokenizer.from_pretrained(str(folder))
    if tokenizer.vocab_size != 32000 or tokenizer("a")["input_ids"][0] != tokenizer.bos_token_id:
        raise RuntimeError(f"the converted tokenizer in {folder} is not Mistral-7B-v0.1's (32,000 pieces, BOS first)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m stxlib.tokenizer.offline", description=__doc__.splitlines()[0])
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--check", action="store_true", help="exit 0 when the tokenizer is installed, 1 when not")
    group.add_argument("--install", metavar="WHEEL_OR_DIR", help="copy it out of a downloaded mistral-common wheel")
    args = parser.parse_args(argv)
    if args.check:
        return 0 if is_installed() else 1
    try:
        folder = install_from_wheel(Path(args.install))
    except (OSError, ValueError, RuntimeError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    print(f"{MISTRAL_TOKENIZER_NAME}: Mistral-7B-v0.1's 32k tokenizer in {folder}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
