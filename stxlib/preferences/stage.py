"""Stage `preferences`: judge-decided votes from the run's MT-Bench files, human votes from the panel, one
Bradley–Terry fit per kind of rater.

Files under `preferences/` (docs/preferences.md):
- `votes.jsonl`: human votes, appended by the voting panel (never deleted or rewritten by the stage);
- `judge_votes.jsonl`: votes decided by MT-Bench ratings, rebuilt from `mt_bench/<label>/judgments.jsonl`;
- `btl.json`: the primary fit (design.md shape): the human votes when there are any, else the judge's;
- `btl_judge.json`: the judge's fit when the human votes are primary;
- `summary.json`: which fit is which, vote counts, warnings, W/L/D per pair, Elo-like values, plot files, notes
  (e.g. that the judge decided no pair: then `btl.json` holds no models).
Plots: `plots/preferences_<human|judge>_{strengths,winrate}.png`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stxlib.config import StxConfig
from stxlib.io import write_json, write_jsonl
from stxlib.paths import RunPaths
from stxlib.preferences.answers import (
    JudgeVotes,
    PairItem,
    judge_votes,
    pair_items,
    prompts_from_judgments,
    read_answers,
    read_questions,
)
from stxlib.preferences.fit import BtlFit, fit_votes
from stxlib.preferences.panel import VotingPanel
from stxlib.preferences.plots import save_fit_plots
from stxlib.preferences.votes import HUMAN, PreferenceError, Vote, read_votes, votes_by_kind

MT_BENCH_DIR = "mt_bench"  # the mt_bench stage's folder: mt_bench/<label>/{answers,judgments}.jsonl
VOTES = "votes.jsonl"
JUDGE_VOTES = "judge_votes.jsonl"
BTL = "btl.json"
BTL_JUDGE = "btl_judge.json"
SUMMARY = "summary.json"


def preferences_dir(paths: RunPaths) -> Path:
    return paths.root / "preferences"


def votes_file(paths: RunPaths) -> Path:
    return preferences_dir(paths) / VOTES


def _labels_with(config: StxConfig, paths: RunPaths, filename: str) -> dict[str, Path]:
    root = paths.root / MT_BENCH_DIR
    labels = config.preferences.labels or (
        sorted(p.name for p in root.iterdir() if p.is_dir()) if root.is_dir() else []
    )
    return {label: root / label / filename for label in labels if (root / label / filename).is_file()}


def answer_sets(config: StxConfig, paths: RunPaths) -> dict[str, dict[str | int, str]]:
    """label -> {prompt id: response}: the run's MT-Bench answers, then `preferences.answers`."""
    turn = config.preferences.turn
    sets = {label: read_answers(path, turn) for label, path in _labels_with(config, paths, "answers.jsonl").items()}
    for label, path in config.preferences.answers.items():
        sets[label] = read_answers(path, turn)
    return sets


def prompt_texts(config: StxConfig, paths: RunPaths) -> dict[str | int, str]:
    """Prompt text per id: `preferences.questions`, else the questions inside the run's judge prompts."""
    turn = config.preferences.turn
    if config.preferences.questions:
        return read_questions(config.preferences.questions, turn)
    prompts: dict[str | int, str] = {}
    for path in _labels_with(config, paths, "judgments.jsonl").values():
        prompts.update(prompts_from_judgments(path, turn))
    return prompts


def pair_items_for_run(config: StxConfig, paths: RunPaths) -> list[PairItem]:
    return pair_items(answer_sets(config, paths), prompt_texts(config, paths), lang=config.preferences.lang)


def panel_for_run(config: StxConfig, paths: RunPaths, rater_id: str | None = None) -> VotingPanel:
    """The voting panel over every pair of the run's answer sets, appending to `preferences/votes.jsonl`."""
    return VotingPanel(
        pair_items_for_run(config, paths),
        votes_file(paths),
        rater_id=rater_id or config.preferences.rater_id,
        seed=config.run.seed,
    )


def judge_votes_for_run(config: StxConfig, paths: RunPaths) -> JudgeVotes | None:
    """Judge-decided votes for every pair of labels with judgments (None with fewer than two)."""
    judgments = _labels_with(config, paths, "judgments.jsonl")
    if not config.preferences.judge_votes or len(judgments) < 2:
        return None
    answers = {label: read_answers(path, config.preferences.turn) for label, path in _labels_with(
        config, paths, "answers.jsonl").items()}  # fmt: skip
    return judge_votes(judgments, answers, turn=config.preferences.turn, lang=config.preferences.lang)


@dataclass
class PreferenceResults:
    """What the notebook shows: the fits by kind of rater (`human`, `judge:<name>`), the primary one first.

    `primary` is None when the run's judge decided no pair (e.g. every rating of a tiny smoke judge was
    unparsable): `btl.json` then holds no models and `notes` says why.
    """

    fits: dict[str, BtlFit]
    primary: str | None
    judge: JudgeVotes | None
    notes: list[str] = field(default_factory=list)
    files: dict[str, Path] = field(default_factory=dict)
    plots: dict[str, list[Path]] = field(default_factory=dict)

    def describe(self) -> str:
        """A few lines for the notebook: the primary fit, each fit's votes and warnings, the notes."""
        lines = [f"primary fit: {self.primary} -> {self.files[self.primary]}" if self.primary else "no fit"]
        for kind, fit in self.fits.items():
            lines.append(f"{kind}: {fit.votes} votes ({fit.skipped} skipped), connected: {fit.connected}")
            lines += [f"  warning: {w}" for w in fit.warnings]
        return "\n".join(lines + [f"note: {n}" for n in self.notes])


def run_stage(config: StxConfig, paths: RunPaths) -> PreferenceResults:
    """Fit the judge-decided votes of the run's MT-Bench files and, separately, any human votes."""
    pref, stats = config.preferences, config.stats
    folder = preferences_dir(paths)
    options: dict[str, Any] = {
        "alpha": pref.alpha, "draws": pref.draws, "resamples": stats.resamples, "seed": stats.seed,
        "confidence": stats.confidence,
    }  # fmt: skip
    fits: dict[str, BtlFit] = {}
    notes: list[str] = []
    human = _human_votes(votes_file(paths))
    if any(v.vote != "skip" for v in human):
        fits[HUMAN] = fit_votes(human, **options)
    judged = judge_votes_for_run(config, paths)
    (folder / JUDGE_VOTES).unlink(missing_ok=True)
    if judged is not None:
        if judged.votes:
            write_jsonl(folder / JUDGE_VOTES, (v.to_row() for v in judged.votes))
        try:
            fits[f"judge:{judged.judge}"] = fit_votes(judged.votes, **options)
        except PreferenceError as err:  # no decisive pair: said in the notes, not an error of the run
            notes.append(
                f"no judge-decided fit: {err}; {judged.unparsable} pairs had an unparsable rating "
                f"({judged.judge or 'no judge'})"
            )
    if judged is None and not fits:
        raise PreferenceError(
            "no votes to fit: the preferences stage needs MT-Bench judgments for at least two labels "
            f"({paths.root / MT_BENCH_DIR}/<label>/judgments.jsonl, from the mt_bench stage with two models in "
            f"its models list) or human votes in {votes_file(paths)} (vote with the panel in notebook 11)"
        )
    primary = HUMAN if HUMAN in fits else next(iter(fits), None)
    results = PreferenceResults(fits, primary, judged, notes)
    entries = [_write_fit(kind, fit, kind == primary, paths, results) for kind, fit in fits.items()]
    if primary is None:
        empty = {"alpha": pref.alpha, "draws": pref.draws, "resamples": stats.resamples, "models": [], "p_win": {}}
        write_json(folder / BTL, empty)
        results.files["none"] = folder / BTL
    if HUMAN not in fits:
        (folder / BTL_JUDGE).unlink(missing_ok=True)
    judge_info = None
    if judged is not None:
        judge_info = {
            "judge": judged.judge,
            "votes": len(judged.votes),
            "unparsable_pairs": judged.unparsable,
            "unmatched_questions": judged.unmatched,
            "fallback_votes": judged.fallback,
        }
        if judged.fallback:
            notes.append(
                f"{judged.fallback} judge votes use a log-likelihood fallback rating (mt_bench.judge.rating_fallback: "
                "not FastChat; marked `fallback` in judge_votes.jsonl)"
            )
    write_json(folder / SUMMARY, {"primary": primary, "fits": entries, "judge_votes": judge_info, "notes": notes})
    return results


def _human_votes(path: Path) -> list[Vote]:
    if not path.is_file():
        return []
    groups = votes_by_kind(read_votes(path))
    others = sorted(k for k in groups if k != HUMAN)
    if others:
        raise PreferenceError(
            f"{path} holds votes of {', '.join(others)}: that file is for human votes only (judge-decided "
            f"votes go to {JUDGE_VOTES}, rebuilt by this stage); remove those rows"
        )
    return groups.get(HUMAN, [])


def _write_fit(kind: str, fit: BtlFit, primary: bool, paths: RunPaths, results: PreferenceResults) -> dict[str, Any]:
    """Write one fit's btl file and plots; returns its summary.json entry."""
    btl = preferences_dir(paths) / (BTL if primary else BTL_JUDGE)
    write_json(btl, fit.to_json())
    results.files[kind] = btl
    results.plots[kind] = save_fit_plots(fit, paths.plots, f"preferences_{'human' if kind == HUMAN else 'judge'}")
    return {
        "btl_file": btl.name,
        "votes_file": VOTES if kind == HUMAN else JUDGE_VOTES,
        "plots": [str(p.relative_to(paths.root)) for p in results.plots[kind]],
        **fit.summary(),
    }
