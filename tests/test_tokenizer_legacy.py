"""`model.tokenizer_legacy`: what a real SentencePiece tokenizer does with the collator's `bos + input`, checked
at set-up (the 2023 slow Llama tokenizer gave `['<s>', '▁', '元', …]`; transformers' default today drops `▁`)."""

from __future__ import annotations

import pytest

from stxlib.config import ModelSection
from stxlib.tokenization import load_tokenizer, source_target_ids
from stxlib.tokenizer.offline import MISTRAL_TOKENIZER_NAME, is_installed, mistral_tokenizer_dir
from stxlib.training.errors import TrainSetupError
from stxlib.training.tokenizer import bos_input_pieces, check_bos_input, prepare_tokenizer

needs_mistral = pytest.mark.skipif(
    not is_installed(),
    reason=f"{MISTRAL_TOKENIZER_NAME} is not in the stx cache: run `make offline-tokenizer`",
)
ROW = {"input": "元の日本語：吾輩は猫である。", "output": "簡単な日本語：私は猫です。"}


def mistral_section(legacy: bool | None) -> ModelSection:
    return ModelSection(tokenizer=str(mistral_tokenizer_dir()), tokenizer_legacy=legacy, eos_token="tokenizer")


def test_the_default_is_the_2023_behaviour() -> None:
    assert ModelSection().tokenizer_legacy is True


@needs_mistral
def test_real_sentencepiece_tokenizer_follows_the_option() -> None:
    legacy = prepare_tokenizer(mistral_section(True))
    assert bos_input_pieces(legacy)[:3] == ["<s>", "▁", "元"]
    modern = prepare_tokenizer(mistral_section(False))
    assert bos_input_pieces(modern)[:2] == ["<s>", "元"]
    # The collator's source ids differ by exactly that one `▁` piece; the target is unchanged.
    (old_src,), (old_tgt,) = source_target_ids(legacy, [ROW])
    (new_src,), (new_tgt,) = source_target_ids(modern, [ROW])
    assert len(old_src) == len(new_src) + 1 and old_src[2:] == new_src[1:]
    assert legacy.convert_ids_to_tokens(old_src[1]) == "▁"
    assert old_tgt == new_tgt


@needs_mistral
def test_a_tokenizer_that_does_not_split_as_asked_stops_the_set_up() -> None:
    modern = load_tokenizer(mistral_section(False))
    with pytest.raises(TrainSetupError, match=r"model.tokenizer_legacy=true .*\['<s>', '元'"):
        check_bos_input(modern, True)
    check_bos_input(modern, None)  # null accepts the tokenizer's own split
    check_bos_input(modern, False)


def test_the_tiny_models_tokenizer_honours_it_too() -> None:
    assert bos_input_pieces(prepare_tokenizer(ModelSection()))[:3] == ["<s>", "▁", "元"]
    assert bos_input_pieces(prepare_tokenizer(ModelSection(tokenizer_legacy=False)))[:2] == ["<s>", "元"]
