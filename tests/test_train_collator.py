"""The qlora collator: source/target tokenised separately, labels masked exactly over the source,
right truncation (a long target loses its EOS), dynamic right padding; the joint option."""

from __future__ import annotations

import pytest
from helpers import SMOKE

from stxlib.config import load_params
from stxlib.tokenization import IGNORE_INDEX
from stxlib.train.collator import CausalLMCollator
from stxlib.train.data import LENGTH_COLUMN, to_dataset
from stxlib.training.tokenizer import prepare_tokenizer

ROWS = [
    {"input": "記事：\n東京で大きな祭りが開かれた。\n\n要約：", "output": "東京で祭り"},
    {"input": "元の日本語：\n今日は雨です。\n\nシンプルな日本語：", "output": "今日は雨がふっています。"},
]


@pytest.fixture(scope="module")
def tokenizer(tiny_model_dir):
    return prepare_tokenizer(load_params(SMOKE).model)


def ids(tokenizer, text: str) -> list[int]:
    return tokenizer(text, add_special_tokens=False)["input_ids"]


def test_labels_mask_exactly_the_source(tokenizer) -> None:
    batch = CausalLMCollator(tokenizer)(ROWS)
    for i, row in enumerate(ROWS):
        src = ids(tokenizer, tokenizer.bos_token + row["input"])
        tgt = ids(tokenizer, row["output"] + tokenizer.eos_token)
        n = len(src) + len(tgt)
        assert src[0] == tokenizer.bos_token_id and tgt[-1] == tokenizer.eos_token_id
        assert batch["input_ids"][i, :n].tolist() == src + tgt
        assert batch["labels"][i, :n].tolist() == [IGNORE_INDEX] * len(src) + tgt
        # dynamic right padding: pad ids, mask 0 and label -100 after the example
        assert set(batch["input_ids"][i, n:].tolist()) <= {tokenizer.pad_token_id}
        assert batch["attention_mask"][i].tolist() == [True] * n + [False] * (batch["input_ids"].shape[1] - n)
        assert set(batch["labels"][i, n:].tolist()) <= {IGNORE_INDEX}
    assert batch["input_ids"].shape[1] == max(
        len(ids(tokenizer, tokenizer.bos_token + r["input"])) + len(ids(tokenizer, r["output"] + tokenizer.eos_token))
        for r in ROWS
    )


def test_target_is_tokenised_alone_with_a_word_start(tokenizer) -> None:
    """As qlora with the slow Llama tokenizer: the lone target gets the word-initial ▁ piece."""
    example = CausalLMCollator(tokenizer).examples(ROWS[:1])[0]
    src = ids(tokenizer, tokenizer.bos_token + ROWS[0]["input"])
    first_target_piece = tokenizer.convert_ids_to_tokens(example.input_ids[len(src)])
    assert first_target_piece.startswith("▁")


def test_truncation_lengths_and_eos(tokenizer) -> None:
    collator = CausalLMCollator(tokenizer, source_max_len=6, target_max_len=4)
    long_row = {"input": "記事：\n" + "長い文章です。" * 20, "output": "とても長い要約の文章になります。"}
    short_row = {"input": "記事：\n" + "長い文章です。" * 20, "output": "短"}
    long_ex, short_ex = collator.examples([long_row, short_row])
    src = ids(tokenizer, tokenizer.bos_token + long_row["input"])[:6]
    long_tgt = ids(tokenizer, long_row["output"] + tokenizer.eos_token)
    assert len(long_tgt) > 4
    assert long_ex.input_ids == src + long_tgt[:4]  # right truncation of both parts
    assert long_ex.labels == [IGNORE_INDEX] * 6 + long_tgt[:4]
    assert tokenizer.eos_token_id not in long_ex.input_ids  # a truncated target loses its EOS, as in qlora
    short_tgt = ids(tokenizer, short_row["output"] + tokenizer.eos_token)
    assert len(short_tgt) <= 4 and short_ex.input_ids[-1] == tokenizer.eos_token_id  # a short one keeps it
    assert len(short_ex.input_ids) == 6 + len(short_tgt)


def test_train_on_source_labels_everything(tokenizer) -> None:
    batch = CausalLMCollator(tokenizer, train_on_source=True)(ROWS[:1])
    assert batch["labels"].tolist() == batch["input_ids"].tolist()


def test_joint_tokenisation_option(tokenizer) -> None:
    row = ROWS[0]
    example = CausalLMCollator(tokenizer, mode="joint").examples([row])[0]
    full = ids(tokenizer, tokenizer.bos_token + row["input"] + row["output"] + tokenizer.eos_token)
    prompt = ids(tokenizer, tokenizer.bos_token + row["input"])
    assert example.input_ids == full
    start = next(i for i, (a, b) in enumerate(zip([*prompt, None], full, strict=False)) if a != b)
    assert example.labels == [IGNORE_INDEX] * start + full[start:]
    assert example.input_ids[-1] == tokenizer.eos_token_id
    qlora = CausalLMCollator(tokenizer).examples([row])[0]
    assert qlora.input_ids != example.input_ids  # the separate target adds its own ▁: different tokens
    truncated = CausalLMCollator(tokenizer, source_max_len=5, target_max_len=3, mode="joint").examples([row])[0]
    assert truncated.input_ids == full[:8]


def test_unknown_collator_mode(tokenizer) -> None:
    with pytest.raises(ValueError, match="qlora or joint"):
        CausalLMCollator(tokenizer, mode="trl")(ROWS)


def test_group_by_length_uses_characters() -> None:
    dataset = to_dataset(ROWS)
    assert dataset[LENGTH_COLUMN] == [len(r["input"]) + len(r["output"]) for r in ROWS]
