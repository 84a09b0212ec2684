"""Resizing a causal LM for an extended tokenizer.

The embedding matrices grow to `len(tokenizer)` rounded up to a multiple of `pad_to_multiple_of` (Shisa: 120,073
tokens -> 120,128 rows). Each new token's row, in the input embeddings and (when untied) in the output
embeddings, starts as the mean of the rows of the token's pieces under the OLD tokenizer (its vocabulary string
split by the old BPE model; see `extension.token_pieces`). The padding rows past the tokenizer, which no text
produces, start as the mean of all old rows. Shisa's own initialisation is not public: this one is the package's
choice.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from stxlib.tokenizer.extension import token_pieces


def padded_size(n_tokens: int, multiple: int) -> int:
    if multiple <= 0:
        raise ValueError(f"pad_to_multiple_of must be positive, got {multiple}")
    return -(-n_tokens // multiple) * multiple


def piece_table(old_tokenizer: Any, new_tokens: Sequence[str]) -> list[list[int]]:
    """For each new token, the ids of its pieces under the old tokenizer."""
    return [token_pieces(old_tokenizer, token) for token in new_tokens]


def resize_and_init(
    model: Any, old_tokenizer: Any, new_tokens: Sequence[str], first_new_id: int, n_tokens: int, multiple: int = 64
) -> dict[str, Any]:
    """Resize `model`'s embeddings for `n_tokens` tokens (padded to `multiple`) and set the new rows.

    `new_tokens[i]` has id `first_new_id + i`. Returns a summary (rows before and after, tied or not).
    """
    import torch

    old_rows = model.get_input_embeddings().weight.shape[0]
    if first_new_id + len(new_tokens) != n_tokens:
        raise ValueError(f"{len(new_tokens)} new tokens from id {first_new_id} do not end at {n_tokens} tokens")
    if first_new_id > old_rows:
        raise ValueError(
            f"the model has {old_rows} embedding rows but the base tokenizer already uses ids up to "
            f"{first_new_id - 1}: the model and tokenizer do not belong together"
        )
    pieces = piece_table(old_tokenizer, new_tokens)
    too_big = [p for row in pieces for p in row if p >= old_rows]
    if too_big:
        raise ValueError(f"piece id {too_big[0]} is past the model's {old_rows} embedding rows")
    rows = padded_size(n_tokens, multiple)
    old_in = model.get_input_embeddings().weight.detach().float().clone()
    out_layer = model.get_output_embeddings()
    tied = out_layer is None or out_layer.weight is model.get_input_embeddings().weight
    old_out = None if tied else out_layer.weight.detach().float().clone()
    model.resize_token_embeddings(max(rows, old_rows), pad_to_multiple_of=None, mean_resizing=False)
    with torch.no_grad():
        _fill(model.get_input_embeddings().weight, old_in, pieces, first_new_id, old_rows)
        if not tied:
            _fill(model.get_output_embeddings().weight, old_out, pieces, first_new_id, old_rows)
    return {
        "rows_before": old_rows,
        "rows_after": int(model.get_input_embeddings().weight.shape[0]),
        "tokens": n_tokens,
        "pad_to_multiple_of": multiple,
        "tied_embeddings": tied,
        "init": "mean of the token's pieces under the old tokenizer (input and output rows); padding rows: "
        "mean of the old rows",
    }


def _fill(weight: Any, old: Any, pieces: list[list[int]], first_new_id: int, old_rows: int) -> None:
    """New token rows = mean of their pieces' old rows; rows past the old matrix (padding) = mean of the old rows
    of the base tokenizer's ids."""
    import torch

    for offset, ids in enumerate(pieces):
        weight[first_new_id + offset] = old[torch.tensor(ids)].mean(dim=0).to(weight.dtype)
    end = first_new_id + len(pieces)
    if weight.shape[0] > end:
        weight[max(end, old_rows) :] = old[:first_new_id].mean(dim=0).to(weight.dtype)
