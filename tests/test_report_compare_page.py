"""`stx compare` page: one name per run everywhere, the JGLUE chart, intervals on deltas between runs where
both hold the same items, llm-jp-eval and MT-Bench tables, and loss curves of a run that is a prefix of another
staying visible."""

from __future__ import annotations

import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

from synthetic_run import make_run
from synthetic_stages import add_jglue_samples, shisa_like_run

from stxlib.io import read_json, read_jsonl, write_json, write_jsonl
from stxlib.plots.loss_curves import plot_loss_overlay
from stxlib.report.compare import build_comparison


class Images(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.alts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "img":
            self.alts.append(dict(attrs).get("alt") or "")


def _row(html: str, first_cell: str) -> list[str]:
    match = re.search(rf"<tr><td>{re.escape(first_cell)}</td>(.*?)</tr>", html)
    assert match, first_cell
    return re.findall(r"<td[^>]*>(.*?)</td>", match.group(1))


def test_same_run_name_columns_rows_and_chart_use_one_name(tmp_path: Path) -> None:
    first = make_run(tmp_path / "x", "smoke")
    second = make_run(tmp_path / "y", "smoke", best_at=450)
    for paths in (first, second):
        add_jglue_samples(paths)
    # the second run's fine-tuned model gets 40 more JNLI documents right
    samples = second.eval_dir("finetuned") / "samples_jnli-1.1-0.3.jsonl"
    rows = read_jsonl(samples)
    wrong = [r for r in rows if r["acc"] == 0][:40]
    for row in wrong:
        row["acc"] = 1
    write_jsonl(samples, rows)
    comparison = build_comparison([first.root, second.root], tmp_path / "compare.html")
    html = comparison.path.read_text(encoding="utf-8")
    assert comparison.labels == ["x/smoke", "y/smoke"]
    assert _row(html, "run name") == ["x/smoke", "y/smoke"]  # the columns' names, not "smoke" twice
    assert _row(html, "params run.name") == ["smoke", "smoke"]
    assert "<th>x/smoke</th><th>y/smoke</th><th>Δ y/smoke − x/smoke</th><th>card</th>" in html
    parser = Images()
    parser.feed(html)
    assert parser.alts == ["overlaid loss curves", "JGLUE scores of each run"]
    jnli = re.search(r"<tr><td>jnli</td><td>finetuned</td>(.*?)</tr>", html).group(1)
    assert re.search(r"\+0\.100 \[\+0\.0\d\d, \+0\.1\d\d\] \*", jnli)  # 40 of 400 documents, all one way
    jsquad = re.search(r"<tr><td>jsquad</td><td>base</td>(.*?)</tr>", html).group(1)
    assert "0.000 [0.000, 0.000]" in jsquad  # the same documents, the same answers
    assert "paired-bootstrap interval" in html


def test_unaligned_samples_fall_back_to_the_plain_difference(tmp_path: Path) -> None:
    first = make_run(tmp_path, "run_a")
    second = make_run(tmp_path, "run_b")
    add_jglue_samples(first)
    add_jglue_samples(second, n=300)  # another document set: not a paired comparison
    html = build_comparison([first.root, second.root]).path.read_text(encoding="utf-8")
    assert comparison_names(html) == ["run_a", "run_b"]
    jnli = re.search(r"<tr><td>jnli</td><td>finetuned</td>(.*?)</tr>", html).group(1)
    assert "[" not in jnli and re.search(r">[+−-]?0\.0\d\d<", jnli)


def comparison_names(html: str) -> list[str]:
    return _row(html, "run name")


def test_llm_jp_eval_and_mt_bench_tables_with_intervals(tmp_path: Path) -> None:
    first = shisa_like_run(tmp_path / "a")
    copy = Path(shutil.copytree(first.root, tmp_path / "b" / first.root.name))
    scores = read_json(copy / "mt_bench" / "finetuned" / "scores.json")
    write_json(copy / "mt_bench" / "finetuned" / "scores.json", scores)
    html = build_comparison([first.root, copy]).path.read_text(encoding="utf-8")
    assert "<h2>llm-jp-eval 1.1</h2>" in html and "<h2>Japanese MT-Bench</h2>" in html
    avr = re.search(r"<tr><td>finetuned</td><td>AVR</td>(.*?)</tr>", html).group(1)
    assert "0.000 [0.000, 0.000]" in avr
    mt = re.search(r"<tr><td>finetuned</td><td[^>]*>7.40</td>(.*?)</tr>", html).group(1)
    assert "0.00 [0.00, 0.00]" in mt


def test_a_prefix_run_stays_visible_in_the_overlay() -> None:
    from synthetic_run import synthetic_log_history

    full = synthetic_log_history(max_steps=200, eval_steps=20)
    prefix = [r for r in full if r.get("step", 0) <= 100 and "train_runtime" not in r]
    fig = plot_loss_overlay({"long": full, "short": prefix})
    eval_lines = [line for line in fig.axes[0].lines if line.get_marker() not in ("None", "*", "")]
    assert len(eval_lines) == 2
    long_line, short_line = eval_lines
    assert long_line.get_linestyle() != short_line.get_linestyle()
    assert long_line.get_marker() != short_line.get_marker()
    assert long_line.get_linewidth() > short_line.get_linewidth()  # the earlier run wider, underneath
    assert short_line.get_zorder() > long_line.get_zorder()
    assert short_line.get_markerfacecolor() == "none"
