"""The JupyterLab voting panel: one prompt, two anonymous responses side by side, one click (or key) per vote.

Every vote is appended to the votes file at once (flushed and synced), so a crashed kernel loses nothing; a new
panel over the same file skips the pairs this rater already voted on (skips included) and continues. Which
model's response sits on the left is random per pair (seeded, so a resumed session shows the same layout) and
recorded as `shown_left`; the model names are shown only after the vote.

Keys: type into the small box under the buttons (it keeps focus): `1` or `f` = left, `2` or `j` = right,
`3` or `d` = draw, `0` or `s` = skip. In a papermill run the panel is displayed and nothing waits for votes.
"""

from __future__ import annotations

import getpass
import html
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import ipywidgets as widgets

from stxlib.preferences.answers import PairItem, left_side, voting_order
from stxlib.preferences.votes import JUDGE_PREFIX, PreferenceError, Vote, append_vote, now_iso, read_votes

CHOICES = ("left", "right", "draw", "skip")
KEYS = {"1": "left", "f": "left", "2": "right", "j": "right", "3": "draw", "d": "draw", "0": "skip", "s": "skip"}
_BOX = "white-space: pre-wrap; margin: 0; padding: 6px; border: 1px solid #ccc; border-radius: 4px; overflow: auto;"


def default_rater() -> str:
    try:
        return getpass.getuser() or "anonymous"
    except (KeyError, OSError):  # no login name in some containers
        return "anonymous"


class VotingPanel:
    """Vote on `items`, appending rows to `votes_file` as `rater_id`. Display it as the last line of a cell."""

    def __init__(
        self, items: Sequence[PairItem], votes_file: str | Path, *, rater_id: str | None = None, seed: int = 0
    ) -> None:
        self.votes_file = Path(votes_file)
        self.rater_id = (rater_id or default_rater()).strip()
        if not self.rater_id or self.rater_id.startswith(JUDGE_PREFIX):
            raise PreferenceError(f"rater_id {rater_id!r} is reserved or empty; use a person's name or initials")
        self.seed = seed
        previous = read_votes(self.votes_file) if self.votes_file.exists() else []
        done = {v.pair_key for v in previous if v.rater_id == self.rater_id}
        self.items = voting_order(items, seed)
        self.pending = [item for item in self.items if item.pair_key not in done]
        self.total = len(self.items)
        self.last_reveal = ""
        self._build()
        self._show()

    # ------------------------------------------------------------ state

    @property
    def done(self) -> int:
        return self.total - len(self.pending)

    @property
    def current(self) -> PairItem | None:
        return self.pending[0] if self.pending else None

    def vote(self, choice: str) -> Vote | None:
        """Record `left`, `right`, `draw` or `skip` for the current pair and move on (what the buttons call)."""
        if choice not in CHOICES:
            raise ValueError(f"choice must be one of {', '.join(CHOICES)}, got {choice!r}")
        item = self.current
        if item is None:
            return None
        shown_left = left_side(item, self.seed)
        shown_right = "b" if shown_left == "a" else "a"
        value = {"left": shown_left, "right": shown_right, "draw": "draw", "skip": "skip"}[choice]
        vote = Vote(
            prompt_id=item.prompt_id,
            lang=item.lang,
            model_a=item.model_a,
            model_b=item.model_b,
            response_a=item.response_a,
            response_b=item.response_b,
            shown_left=shown_left,
            vote=value,
            rater_id=self.rater_id,
            ts=now_iso(),
            extra=dict(item.extra),
        )
        append_vote(self.votes_file, vote)  # on disk before the panel moves on
        self.pending.pop(0)
        left_name = item.model_a if shown_left == "a" else item.model_b
        right_name = item.model_b if shown_left == "a" else item.model_a
        self.last_reveal = (
            f"Saved: {choice} for prompt {item.prompt_id}. Left was <b>{html.escape(left_name)}</b>, "
            f"right was <b>{html.escape(right_name)}</b>."
        )
        self._show()
        return vote

    # ------------------------------------------------------------ widgets

    def _build(self) -> None:
        self.progress = widgets.HTML()
        self.prompt = widgets.HTML()
        layout = widgets.Layout(width="50%")
        self.left = widgets.HTML(layout=layout)
        self.right = widgets.HTML(layout=layout)
        labels = {
            "left": "◀ Left is better [1]",
            "right": "Right is better ▶ [2]",
            "draw": "Draw [3]",
            "skip": "Skip [0]",
        }
        self.buttons: dict[str, widgets.Button] = {}
        for choice in CHOICES:
            button = widgets.Button(description=labels[choice], tooltip=f"record '{choice}' and show the next pair")
            button.on_click(lambda _b, c=choice: self.vote(c))
            self.buttons[choice] = button
        self.keys = widgets.Text(
            placeholder="type 1 / 2 / 3 / 0 (or f / j / d / s) here to vote by keyboard",
            layout=widgets.Layout(width="420px"),
        )
        self.keys.observe(self._on_key, names="value")
        self.status = widgets.HTML()
        self.widget = widgets.VBox(
            [
                self.progress,
                self.prompt,
                widgets.HBox([self.left, self.right]),
                widgets.HBox(list(self.buttons.values())),
                self.keys,
                self.status,
            ]
        )

    def _on_key(self, change: dict[str, Any]) -> None:
        text = str(change.get("new") or "")
        if not text:
            return
        self.keys.value = ""
        choice = KEYS.get(text[-1].lower())
        if choice:
            self.vote(choice)

    def _show(self) -> None:
        item = self.current
        self.progress.value = f"<b>{self.done} of {self.total}</b> pairs voted (rater {html.escape(self.rater_id)})"
        self.status.value = self.last_reveal
        if item is None:
            self.prompt.value = (
                "<p><b>No pairs to vote on.</b> Pairs come from at least two answer sets (see preferences.labels "
                "and preferences.answers).</p>"
                if not self.total
                else "<p><b>All pairs voted.</b> Every vote is in the votes file; run the fit below.</p>"
            )
            self.left.value = self.right.value = ""
            for button in self.buttons.values():
                button.disabled = True
            self.keys.disabled = True
            return
        shown_left = left_side(item, self.seed)
        left, right = (item.response_a, item.response_b) if shown_left == "a" else (item.response_b, item.response_a)
        self.prompt.value = f"<p><b>Prompt {html.escape(str(item.prompt_id))}</b></p>{_pre(item.prompt)}"
        self.left.value = f"<p><b>Left</b></p>{_pre(left)}"
        self.right.value = f"<p><b>Right</b></p>{_pre(right)}"

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)


def _pre(text: str) -> str:
    return f'<pre style="{_BOX}">{html.escape(text)}</pre>'
