"""The voting panel driven through its own buttons and key box: rows written at once, names hidden until the
vote, and a second panel over the same file resuming after the last vote."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import FIXTURES

from stxlib.preferences import PreferenceError, VotingPanel, pair_items, read_answers, read_questions, read_votes
from stxlib.preferences.answers import left_side
from stxlib.preferences.votes import VOTE_FIELDS

PREFS = FIXTURES / "preferences"
NAMES = ("stx-base-model", "stx-tuned-model")


@pytest.fixture
def items():
    answers = {
        NAMES[0]: read_answers(PREFS / "answers_base.jsonl"),
        NAMES[1]: read_answers(PREFS / "answers_tuned.jsonl"),
    }
    return pair_items(answers, read_questions(PREFS / "questions.jsonl"))


def shown_html(panel: VotingPanel) -> str:
    return panel.prompt.value + panel.left.value + panel.right.value + panel.progress.value


def test_buttons_write_the_expected_rows_at_once(items, tmp_path: Path) -> None:
    votes_file = tmp_path / "preferences" / "votes.jsonl"
    panel = VotingPanel(items, votes_file, rater_id="alice", seed=3)
    assert panel.total == 4 and panel.done == 0
    assert "0 of 4" in panel.progress.value
    first = panel.current
    assert first is not None and first.prompt in panel.prompt.value
    assert not any(name in shown_html(panel) for name in NAMES)  # names hidden before the vote
    side = left_side(first, 3)
    left_text = first.response_a if side == "a" else first.response_b
    assert left_text[:10] in panel.left.value

    panel.buttons["left"].click()
    rows = [json.loads(line) for line in votes_file.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 1 and list(rows[0]) == list(VOTE_FIELDS)
    row = rows[0]
    assert row["prompt_id"] == first.prompt_id and row["lang"] == "ja" and row["rater_id"] == "alice"
    assert (row["model_a"], row["model_b"]) == (first.model_a, first.model_b)
    assert (row["response_a"], row["response_b"]) == (first.response_a, first.response_b)
    assert row["shown_left"] == side and row["vote"] == side  # "left" names whichever model was on the left
    assert row["ts"].endswith("+00:00")
    left_name = first.model_a if side == "a" else first.model_b
    assert f"Left was <b>{left_name}</b>" in panel.status.value  # revealed after the vote
    assert "1 of 4" in panel.progress.value

    second = panel.current
    panel.buttons["right"].click()
    panel.buttons["draw"].click()
    votes = read_votes(votes_file)
    other_side = "b" if left_side(second, 3) == "a" else "a"
    assert [v.vote for v in votes] == [side, other_side, "draw"]
    assert "3 of 4" in panel.progress.value


def test_keys_vote_like_the_buttons(items, tmp_path: Path) -> None:
    votes_file = tmp_path / "votes.jsonl"
    panel = VotingPanel(items, votes_file, rater_id="bob", seed=0)
    first = panel.current
    panel.keys.value = "2"
    assert panel.keys.value == ""  # the box clears itself for the next key
    panel.keys.value = "s"
    panel.keys.value = "x"  # not a voting key: ignored
    votes = read_votes(votes_file)
    assert len(votes) == 2 and votes[1].vote == "skip"
    assert votes[0].vote == ("b" if left_side(first, 0) == "a" else "a")
    assert panel.done == 2


def test_a_new_panel_resumes_after_the_last_vote(items, tmp_path: Path) -> None:
    votes_file = tmp_path / "votes.jsonl"
    first_session = VotingPanel(items, votes_file, rater_id="carol", seed=1)
    order = [item.pair_key for item in first_session.items]
    first_session.buttons["left"].click()
    first_session.buttons["skip"].click()  # a skip is a decision too: not shown again
    del first_session  # the kernel dies; only the file remains

    resumed = VotingPanel(items, votes_file, rater_id="carol", seed=1)
    assert resumed.done == 2 and "2 of 4" in resumed.progress.value
    assert resumed.current.pair_key == order[2]  # exactly where the first session stopped
    resumed.buttons["right"].click()
    resumed.buttons["draw"].click()
    assert resumed.current is None and "All pairs voted" in resumed.prompt.value
    assert all(button.disabled for button in resumed.buttons.values())
    assert resumed.vote("left") is None  # nothing left: no row written

    votes = read_votes(votes_file)
    assert [v.pair_key for v in votes] == order  # no vote lost, none duplicated
    # another rater over the same file starts from the beginning
    dave = VotingPanel(items, votes_file, rater_id="dave", seed=1)
    assert dave.done == 0 and dave.total == 4


def test_same_layout_in_every_session_and_reserved_raters(items, tmp_path: Path) -> None:
    a = VotingPanel(items, tmp_path / "v.jsonl", rater_id="eve", seed=9)
    b = VotingPanel(items, tmp_path / "v.jsonl", rater_id="eve", seed=9)
    assert a.left.value == b.left.value and [i.pair_key for i in a.items] == [i.pair_key for i in b.items]
    with pytest.raises(PreferenceError, match="reserved"):
        VotingPanel(items, tmp_path / "v.jsonl", rater_id="judge:gpt-4")
    empty = VotingPanel([], tmp_path / "v.jsonl", rater_id="eve")
    assert "No pairs to vote on" in empty.prompt.value and empty.total == 0
