"""Pairwise preferences (Shisa card §5): a JupyterLab voting panel, judge-decided votes from MT-Bench ratings,
W/L/D and Bradley–Terry strengths (choix iLSR) with vote-bootstrap intervals. See docs/preferences.md.

`votes` (row format, reading, appending), `answers` (pairs from answer files, judge votes), `fit` (BTL),
`views` (tables), `plots` (forest plot, win-rate heatmap), `panel` (the widget), `stage` (`run_stage`).
"""

from stxlib.preferences.answers import PairItem, judge_votes, pair_items, read_answers, read_questions
from stxlib.preferences.fit import BtlFit, DisconnectedComparisonsWarning, fit_votes
from stxlib.preferences.panel import VotingPanel
from stxlib.preferences.stage import PreferenceResults, panel_for_run, run_stage
from stxlib.preferences.votes import VOTE_FIELDS, PreferenceError, Vote, append_vote, read_votes

__all__ = [
    "VOTE_FIELDS",
    "BtlFit",
    "DisconnectedComparisonsWarning",
    "PairItem",
    "PreferenceError",
    "PreferenceResults",
    "Vote",
    "VotingPanel",
    "append_vote",
    "fit_votes",
    "judge_votes",
    "pair_items",
    "panel_for_run",
    "read_answers",
    "read_questions",
    "read_votes",
    "run_stage",
]
