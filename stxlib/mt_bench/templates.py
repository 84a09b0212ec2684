"""MT-Bench's choice of chat template for models without one; the templates live in `stxlib.chat_templates`.

- `llama-2`: Shisa-7B's card format (specs/shisa.md §2): a system block `<<SYS>>\\n{system}\\n<</SYS>>\\n\\n` inside
  the first `[INST] ... [/INST]`, answers as ` {assistant} </s><s>`; without a system message the first turn
  still opens with `[INST] ` (Shisa's own template drops it, see specs/shisa.md §9: fixed here).
- `fastchat-llama-2`: the exact prompt FastChat's AUGMXNT fork built for Shisa's 5.23 (its forced `llama-2`
  conversation, `SeparatorStyle.LLAMA2`): no space before the first `[/INST]`, `[INST] {user2} [/INST]` later,
  and an empty `<<SYS>>` block when there is no system message.

Both start with `bos_token` (the tokenizer then must not add another: the engine renders chats that way).
"""

from __future__ import annotations

from stxlib.chat_templates import BUILTIN_TEMPLATES, FASTCHAT_LLAMA_2, LLAMA_2
from stxlib.mt_bench.questions import MtBenchError

__all__ = ["BUILTIN_TEMPLATES", "FASTCHAT_LLAMA_2", "LLAMA_2", "resolve_chat_template"]


def resolve_chat_template(value: str | None, setting: str = "mt_bench.chat_template") -> tuple[str | None, str | None]:
    """(name recorded in the answers, Jinja text) for a params value: null, a built-in name or a Jinja string."""
    if value is None:
        return None, None
    if value in BUILTIN_TEMPLATES:
        return value, BUILTIN_TEMPLATES[value]
    if "{{" in value or "{%" in value:
        return "custom", value
    raise MtBenchError(
        f"{setting}={value!r} is neither a built-in template ({', '.join(BUILTIN_TEMPLATES)}) nor a Jinja "
        "template; use null for the tokenizer's own template"
    )
