"""What the notebook shows: score and category tables, a prompt, wrong answers, the category chart."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import pytest
from engine_doubles import BackendFactory

from stxlib.engine import LocalModelSpec
from stxlib.io import read_json
from stxlib.llm_jp_eval.plots import plot_categories, save_category_plot
from stxlib.llm_jp_eval.runner import RunSettings, evaluate_model
from stxlib.llm_jp_eval.views import category_table, prompt_example, read_scores, run_table, score_table, wrong_answers


@pytest.fixture(scope="module")
def golden(shared):
    root = shared / "data" / "golden" / "llm-jp-eval-1.1-logs"
    return read_scores({"shisa": root / "shisa-mega-dpo-7b-v1.1", "mistral": root / "mistral-7b-v0.1"})


def test_score_table_leads_with_avr_and_categories(golden) -> None:
    table = score_table(golden)
    assert list(table.index[:5]) == ["AVR", "NLI", "QA", "RC", "MC"] and len(table) == 16
    assert table.loc["AVR", "shisa"] == 0.748 and list(table.columns) == ["shisa", "mistral"]


def test_category_table_flags_partial_means() -> None:
    partial = {"m": {"jamp_exact_match": "0.5000", "jnli_exact_match": "1.0000", "jsquad_char_f1": "0.2500"}}
    table = category_table(partial).set_index("category")
    assert table.loc["NLI", "score"] == 0.75 and table.loc["NLI", "tasks"] == "2/5"
    assert table.loc["RC", "tasks"] == "1/1" and "AVR" not in table.index


def test_chart_is_saved(golden, tmp_path) -> None:
    files = save_category_plot(golden, tmp_path / "plots", "llm-jp-eval 1.1 — golden logs")
    assert [f.name for f in files] == ["llm_jp_eval.png", "llm_jp_eval.svg"] and files[0].stat().st_size > 10_000
    ax = plot_categories({"m": {"jamp_exact_match": "0.5000"}}).axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["NLI (1/5)"]
    assert plot_categories({}).axes[0].texts[0].get_text() == "no llm-jp-eval scores"


def test_prompt_and_wrong_answers_from_a_run(tmp_path) -> None:
    out = tmp_path / "m"
    settings = RunSettings(datasets=("jamp", "jsquad", "jsts"), limit=4)
    evaluate_model("m", LocalModelSpec("stx-tiny"), settings, out, backend_factory=BackendFactory(), progress=False)
    output = read_json(out / "output_eval.json")
    text = prompt_example(out, "jsquad", 1)
    assert text.endswith(output["jsquad"][1]["input"] + "\n### 回答：\n") and "{input}" not in text
    wrong = wrong_answers(out, n=2)
    assert set(wrong["dataset"]) <= {"jamp", "jsquad", "jsts"} and (wrong.groupby("dataset").size() <= 2).all()
    jamp = wrong[wrong["dataset"] == "jamp"]
    assert (jamp["pred"] != jamp["gold"]).all() and (jamp["score"] == 0).all()
    assert len(wrong_answers(out, ["jsquad"], n=10)) == 4  # the scripted answer is the first shot's: all wrong
    assert run_table({"m": out}).loc["m", "generated"] == 3
