"""Every command the README and docs/*.md show works as written: each `stx` line parses as a real `stx`
invocation, each papermill line names real notebooks and a params file that exists from its working folder,
and the cheap ones run."""

from __future__ import annotations

import re
import shlex
import shutil
from pathlib import Path

import pytest
from helpers import REPO, run_stx

from stxlib.cli import build_parser

DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
SHELL_LANGS = {"", "bash", "sh", "shell", "console"}
# Values the docs leave to the reader in otherwise runnable lines (loop variables).
VARIABLES = {"r": "8", "p": "params/smoke.yaml", "nb": "01_data_mixing"}
# Documented commands cheap enough to run here (seconds, offline): (doc, start of the command).
CHEAP = [("tokenizer.md", "stx tokenizer stats")]


def shell_blocks(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    return [m.group(2) for m in re.finditer(r"```(\w*)\n(.*?)```", text, re.S) if m.group(1) in SHELL_LANGS]


def commands(block: str) -> list[list[str]]:
    """Simple commands of a shell block: continuations joined, comments dropped, split at ; && || | and
    the `for/do/done` words; lines that are not shell (diagrams, listings) are skipped."""
    found: list[list[str]] = []
    for line in block.replace("\\\n", " ").splitlines():
        try:
            lexer = shlex.shlex(line, posix=True, punctuation_chars=";&|")
            lexer.whitespace_split = True
            lexer.commenters = "#"
            tokens = list(lexer)
        except ValueError:
            continue
        current: list[str] = []
        for token in [*tokens, ";"]:
            if token in {";", "&&", "||", "|", "&"}:
                while current and current[0] in {"do", "then"}:
                    current.pop(0)
                if current:
                    found.append(current)
                current = []
            else:
                current.append(token)
    return found


def documented(program: str) -> list[tuple[str, list[str]]]:
    out = []
    for path in DOCS:
        for block in shell_blocks(path):
            for argv in commands(block):
                if argv[0] == program:
                    out.append((path.name, [re.sub(r"\$(\w+)", lambda m: VARIABLES[m[1]], a) for a in argv]))
        if program == "papermill":  # inline one-liners in the prose, e.g. the README's
            text = re.sub(r"```.*?```", "", path.read_text(encoding="utf-8"), flags=re.S)
            for span in re.findall(r"`(papermill [^`]+)`", text):
                out.extend((path.name, argv) for argv in commands(span.replace("\n", " ")))
    return out


def is_synopsis(argv: list[str]) -> bool:
    """A usage line (`[--adapter DIR]`, `...`, `a|b`), not a command to run."""
    return any(t.startswith("[") or t.endswith("]") or t == "..." or "|" in t for t in argv)


STX = documented("stx")
PAPERMILL = documented("papermill")


def test_the_docs_hold_commands() -> None:
    assert len(STX) >= 20 and PAPERMILL, (len(STX), PAPERMILL)


@pytest.mark.parametrize(("doc", "argv"), STX, ids=[f"{d}:{' '.join(a)[:60]}" for d, a in STX])
def test_every_stx_command_parses(doc: str, argv: list[str]) -> None:
    parser = build_parser()
    subcommands = parser._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    assert argv[1] in subcommands, f"{doc}: unknown subcommand in {' '.join(argv)}"
    if is_synopsis(argv):
        return
    try:
        parser.parse_args(argv[1:])
    except SystemExit as stop:
        pytest.fail(f"{doc}: `{' '.join(argv)}` is not a valid stx command line (exit {stop.code})")


@pytest.mark.parametrize(("doc", "argv"), PAPERMILL, ids=[f"{d}:{' '.join(a)[:60]}" for d, a in PAPERMILL])
def test_every_papermill_command_finds_its_files(doc: str, argv: list[str]) -> None:
    from papermill.cli import papermill

    context = papermill.make_context("papermill", argv[1:], resilient_parsing=False)
    options = context.params
    notebook = REPO / options["notebook_path"]
    assert notebook.is_file(), f"{doc}: {notebook} does not exist"
    cwd = REPO / (options["cwd"] or ".")
    parameters = dict(options["parameters"])
    params_file = parameters.get("params_file")
    assert params_file, f"{doc}: {' '.join(argv)} passes no params_file"
    assert (cwd / params_file).is_file(), (
        f"{doc}: params_file {params_file} does not exist from the kernel's folder {cwd} (add --cwd notebooks)"
    )
    assert options["kernel"] == "stx"


@pytest.mark.parametrize(("doc", "start"), CHEAP)
def test_cheap_documented_commands_run(doc: str, start: str, tmp_path: Path) -> None:
    if not shutil.which("stx") and not (Path(__import__("sys").executable).with_name("stx")).exists():
        pytest.skip("the stx console script is not installed")
    picked = [argv for d, argv in STX if d == doc and " ".join(argv).startswith(start)]
    assert picked, f"{doc} no longer shows `{start}`"
    for argv in picked:
        argv = [str(tmp_path / a) if a.endswith(".json") and not a.startswith("tests/") else a for a in argv]
        result = run_stx(*argv[1:], timeout=600)
        assert result.returncode == 0, f"{shlex.join(argv)}\n{result.stderr[-2000:]}"
