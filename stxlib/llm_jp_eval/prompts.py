"""llm-jp-eval 1.1's prompt: a langchain f-string template per dataset, with `{input}` filled per sample.

```
HEADER + "\\n### 指示\\n" + instruction + "\\n"
+ "\\n".join("\\n### 入力：\\n" + shot.input + "\\n### 回答：\\n" + shot.output for shot in few_shots[:n])
+ "\\n\\n### 入力：\\n{input}\\n### 回答：\\n"
```

`### 指示` has no colon; `### 入力：` / `### 回答：` use the full-width colon. With no shots the join is empty (1.1's
zero-shot branch compared the list of shots with 0 and never ran). output_eval.json logs the template itself,
`{input}` included. Shisa's patch (`shisa_bos`) put the tokenizer's BOS text (`<s>` for Llama and Mistral
tokenizers) in front of the instruction, i.e. right after `### 指示\\n`, in the middle of the prompt.
"""

from __future__ import annotations

from collections.abc import Sequence

from stxlib.llm_jp_eval.data import EvalFile, LlmJpEvalDataError, Sample

HEADER = (
    "以下はタスクを説明する指示と、追加の背景情報を提供する入力の組み合わせです。"
    "要求を適切に満たす回答を書いてください。"
)
SHISA_BOS = "<s>"


def prompt_template(instruction: str, few_shots: Sequence[Sample], *, shisa_bos: bool = False) -> str:
    """The template llm-jp-eval 1.1 built (and logged as `prompt`), `{input}` still in it."""
    shots = "\n".join(f"\n### 入力：\n{shot.input}\n### 回答：\n{shot.output}" for shot in few_shots)
    bos = SHISA_BOS if shisa_bos else ""
    return f"{HEADER}\n### 指示\n{bos}{instruction}\n{shots}\n\n### 入力：\n{{input}}\n### 回答：\n"


def dataset_template(data: EvalFile, num_few_shots: int = 4, *, shisa_bos: bool = False) -> str:
    """The template of one evaluation file with its first `num_few_shots` shots."""
    if num_few_shots > len(data.few_shots):
        raise LlmJpEvalDataError(
            f"{data.path}: {num_few_shots} few-shots asked for but the file has {len(data.few_shots)} "
            "(llm-jp-eval 1.1's files hold 4; lower num_few_shots)"
        )
    template = prompt_template(data.instruction, data.few_shots[:num_few_shots], shisa_bos=shisa_bos)
    render_prompt(template, "", where=str(data.path))  # a template langchain could not format fails here
    return template


def render_prompt(template: str, text: str, *, where: str = "prompt") -> str:
    """The prompt the model sees: langchain's f-string formatting (`str.format` rules) with `input=text`."""
    try:
        return template.format(input=text)
    except (KeyError, IndexError, ValueError) as err:
        raise LlmJpEvalDataError(
            f"{where}: the instruction or a few-shot holds braces that llm-jp-eval 1.1's f-string template cannot "
            f"format ({type(err).__name__}: {err}); double them ({{{{ }}}}) as langchain requires"
        ) from None
