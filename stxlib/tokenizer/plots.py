"""The efficiency chart: characters per token, one group of bars per corpus, one bar per tokenizer."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt

from stxlib.tokenizer.efficiency import Efficiency


def plot_efficiency(
    results: Sequence[Efficiency], langs: Mapping[str, str] | None = None, title: str = "Characters per token"
) -> plt.Figure:
    """Grouped bars (higher is better: fewer tokens for the same text), each labelled with its value."""
    langs = langs or {}
    corpora = list(dict.fromkeys(r.corpus for r in results))
    tokenizers = list(dict.fromkeys(r.tokenizer for r in results))
    value = {(r.tokenizer, r.corpus): r.chars_per_token for r in results}
    fig, ax = plt.subplots(figsize=(max(6.0, 1.2 * len(corpora) * max(1, len(tokenizers)) + 2), 4.5))
    if not results:
        ax.text(0.5, 0.5, "no results", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return fig
    width = 0.8 / len(tokenizers)
    top = max(value.values())
    for offset, tokenizer in enumerate(tokenizers):
        xs, heights = [], []
        for position, corpus in enumerate(corpora):
            if (tokenizer, corpus) in value:
                xs.append(position - 0.4 + width * (offset + 0.5))
                heights.append(value[(tokenizer, corpus)])
        ax.bar(xs, heights, width=width * 0.95, label=tokenizer, color=f"C{offset}", edgecolor="black", linewidth=0.5)
        for x, h in zip(xs, heights, strict=True):
            ax.text(x, h + top * 0.01, f"{h:.3f}", ha="center", va="bottom", fontsize=8)
    ticks = [f"{c}\n({langs[c]})" if c in langs else c for c in corpora]
    ax.set_xticks(range(len(corpora)), ticks)
    ax.set_ylim(0, top * 1.15)
    ax.set_ylabel("characters per token (higher = more efficient)")
    ax.set_title(title)
    ax.grid(True, axis="y", alpha=0.3)
    ax.legend(title="tokenizer", fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    fig.tight_layout()
    return fig
