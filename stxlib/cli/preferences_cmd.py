"""`stx preferences fit VOTES.jsonl [--out DIR]`: W/L/D and Bradley–Terry strengths into `DIR/btl.json`.

The library (choix, matplotlib) is imported inside the handler, so `stx --help` stays fast.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from stxlib.cli.common import fail, guarded


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "preferences", help="pairwise preference votes: Bradley–Terry fit (see docs/preferences.md)"
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    fit = actions.add_parser(
        "fit",
        help="W/L/D and Bradley–Terry (choix iLSR) strengths with vote-bootstrap intervals into DIR/btl.json",
    )
    fit.add_argument(
        "votes", metavar="VOTES.jsonl", help="vote rows (design.md), e.g. results/RUN/preferences/votes.jsonl"
    )
    fit.add_argument(
        "--out", default=None, metavar="DIR", help="folder for btl.json (default: the votes file's folder)"
    )
    fit.add_argument(
        "--raters",
        default=None,
        metavar="KIND",
        help="fit only these votes: 'human' or 'judge:<name>' (needed when the file holds both; they are never mixed)",
    )
    fit.add_argument("--alpha", type=float, default=0.01, help="choix regularisation (default 0.01; 0 = plain ML)")
    fit.add_argument("--draws", choices=("drop", "split"), default="drop", help="drop draws, or count one win each way")
    fit.add_argument("--resamples", type=int, default=1000, help="vote-bootstrap resamples (default 1000)")
    fit.add_argument("--seed", type=int, default=0, help="bootstrap seed (default 0)")
    fit.add_argument("--confidence", type=float, default=0.95, help="interval coverage (default 0.95)")
    fit.add_argument("--plots", action="store_true", help="also write the forest plot and win-rate heatmap into DIR")
    fit.set_defaults(handler=guarded(_fit, OSError))


def _fit(args: argparse.Namespace) -> int:
    from stxlib.io import write_json
    from stxlib.preferences import PreferenceError, fit_votes, read_votes
    from stxlib.preferences.views import fit_text
    from stxlib.preferences.votes import votes_by_kind

    if args.alpha < 0 or args.resamples < 1 or not 0 < args.confidence < 1:
        return fail("--alpha must be >= 0, --resamples >= 1 and --confidence between 0 and 1", 2)
    try:
        votes = read_votes(args.votes)
        groups = votes_by_kind(votes)
        if args.raters is not None:
            if args.raters not in groups:
                return fail(f"{args.votes}: no votes of {args.raters!r} (the file has {', '.join(sorted(groups))})")
            votes = groups[args.raters]
        elif len(groups) > 1:
            return fail(
                f"{args.votes} holds votes of {', '.join(sorted(groups))}, which are never fitted together; "
                "choose one with --raters"
            )
        fit = fit_votes(
            votes,
            alpha=args.alpha,
            draws=args.draws,
            resamples=args.resamples,
            seed=args.seed,
            confidence=args.confidence,
        )
    except PreferenceError as err:
        return fail(str(err))
    out = Path(args.out) if args.out else Path(args.votes).resolve().parent
    write_json(out / "btl.json", fit.to_json())
    print(fit_text(fit))
    print(f"btl.json: {out / 'btl.json'}")
    if args.plots:
        from stxlib.preferences.plots import save_fit_plots

        source = "human" if fit.raters == "human" else "judge"
        for path in save_fit_plots(fit, out, f"preferences_{source}"):
            print(f"plot: {path}")
    return 0
