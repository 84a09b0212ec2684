"""What `stx run` prints of a running stage (`StageConsole`): lines as they come, progress bars thinned out
(in place on a terminal), the final state always, nothing with --quiet."""

from __future__ import annotations

import io

from stxlib.runner.console import StageConsole


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def train_like(console: StageConsole, clock: Clock) -> None:
    """What the training cell streams: tqdm redraws (carriage returns) on stderr, eval lines on stdout."""
    console.stdout.write("stage train: run 'smoke'\n")
    console.stderr.write("\r  0%|          | 0/40 [00:00<?, ?it/s]")
    for step in range(1, 41):
        clock.now += 1
        left = 40 - step
        bar = f"{step * 100 // 40:3d}%|#   | {step}/40 [00:{step:02d}<00:{left:02d}, 1.0it/s, loss=7.9]"
        console.stderr.write("\r" + bar)
        if step == 20:
            console.stdout.write("step 20/40: eval_loss 7.9000 (best 7.9000 at step 20)\n")
    console.stderr.write("\n")
    console.stdout.write("saved the best adapter")  # no newline: shown when the stage ends
    console.close()


def test_lines_and_thinned_bar_states_in_order() -> None:
    out, clock = io.StringIO(), Clock()
    train_like(StageConsole("train", out=out, bar_every=10, clock=clock), clock)
    lines = out.getvalue().splitlines()
    assert lines[0] == "[train] stage train: run 'smoke'"
    assert "[train] step 20/40: eval_loss 7.9000 (best 7.9000 at step 20)" in lines
    bars = [line for line in lines if "it/s" in line]
    assert 4 <= len(bars) <= 7, bars  # 40 redraws, one shown per 10 s
    assert bars[-1].startswith("[train] 100%|") and "40/40" in bars[-1] and "loss=7.9" in bars[-1]
    assert lines[-1] == "[train] saved the best adapter"
    assert lines.index("[train] step 20/40: eval_loss 7.9000 (best 7.9000 at step 20)") < lines.index(bars[-1])


def test_a_terminal_gets_the_bar_in_place() -> None:
    out, clock = Terminal(), Clock()
    train_like(StageConsole("train", out=out, clock=clock), clock)
    text = out.getvalue()
    assert "\r\x1b[K[train] 100%|" in text  # redrawn over the live line
    final = [line for line in text.split("\n") if "40/40" in line]
    assert len(final) == 1 and final[0].rsplit("\r\x1b[K", 1)[-1].startswith("[train] 100%|")
    assert "\n[train] step 20/40: eval_loss" in text  # a printed line starts on a fresh line


def test_quiet_prints_nothing() -> None:
    out, clock = io.StringIO(), Clock()
    train_like(StageConsole("train", out=out, quiet=True, clock=clock), clock)
    assert out.getvalue() == ""


def test_colour_codes_are_dropped_and_warnings_shown() -> None:
    out = io.StringIO()
    console = StageConsole("eval", out=out)
    console.stderr.write("\x1b[33mUserWarning: padding side\x1b[0m\n")
    console.close()
    assert out.getvalue() == "[eval] UserWarning: padding side\n"


def test_a_quick_bar_in_a_log_shows_its_final_state_only() -> None:
    out, clock = io.StringIO(), Clock()
    console = StageConsole("train", out=out, clock=clock)
    console.stderr.write("\rLoading weights:   0%|          | 0/21 [00:00<?, ?it/s]")
    clock.now += 0.2
    console.stderr.write("\rLoading weights: 100%|##########| 21/21 [00:00<00:00, 263.19it/s]\n")
    console.close()
    assert out.getvalue() == "[train] Loading weights: 100%|##########| 21/21 [00:00<00:00, 263.19it/s]\n"


def test_a_long_printed_block_is_cut_to_its_head() -> None:
    out = io.StringIO()
    console = StageConsole("eval", out=out)
    console.stdout.write("".join(f"prompt line {i}\n" for i in range(40)))
    console.stdout.write("base: results/smoke/eval/base\n")
    console.close()
    assert out.getvalue().splitlines() == [
        *(f"[eval] prompt line {i}" for i in range(4)),
        "[eval] ... 36 more lines (in the stage's notebook)",
        "[eval] base: results/smoke/eval/base",
    ]


def test_a_line_between_a_bar_and_its_closing_newline_does_not_repeat_the_bar() -> None:
    """stdout and stderr arrive as separate messages: a print after the loop can overtake the bar's newline."""
    out, clock = io.StringIO(), Clock()
    console = StageConsole("data", out=out, bar_every=5, clock=clock)
    console.stderr.write("\rmixing:  97%|#########6| 29/30 [00:05<00:00,  4.98it/s]\rmixing: 100%|##########| 30/30")
    console.stdout.write("mix written\n")
    console.stderr.write(" [00:06<00:00,  4.97it/s]\n")
    console.close()
    assert out.getvalue().splitlines() == [
        "[data] mix written",
        "[data] mixing: 100%|##########| 30/30 [00:06<00:00,  4.97it/s]",
    ]
