"""Built-in chat templates (Jinja, Hugging Face `apply_chat_template` conventions) for models without one.

- `llama-2`: Shisa-7B's card format (specs/shisa.md §2): a system block `<<SYS>>\\n{system}\\n<</SYS>>\\n\\n` inside
  the first `[INST] ... [/INST]`, answers as ` {assistant} </s><s>`; without a system message the first turn
  still opens with `[INST] ` (Shisa's own template drops it, see specs/shisa.md §9: fixed here).
- `fastchat-llama-2`: the exact prompt FastChat's AUGMXNT fork built for Shisa's 5.23 (its forced `llama-2`
  conversation, `SeparatorStyle.LLAMA2`): no space before the first `[/INST]`, `[INST] {user2} [/INST]` later,
  and an empty `<<SYS>>` block when there is no system message.

Both start with `bos_token` (the tokenizer then must not add another: the engine renders chats that way).
"""

from __future__ import annotations

from stxlib.mt_bench.questions import MtBenchError

_SYSTEM_SPLIT = (
    "{% if messages[0]['role'] == 'system' %}{% set system = messages[0]['content'] %}"
    "{% set loop_messages = messages[1:] %}{% else %}{% set system = none %}{% set loop_messages = messages %}"
    "{% endif %}"
)

LLAMA_2 = (
    "{{ bos_token }}" + _SYSTEM_SPLIT + "{% for message in loop_messages %}"
    "{% if message['role'] == 'user' %}[INST] "
    "{% if loop.first and system is not none %}<<SYS>>\n{{ system }}\n<</SYS>>\n\n{% endif %}"
    "{{ message['content'] }} [/INST]"
    "{% elif message['role'] == 'assistant' %} {{ message['content'] }} {{ eos_token }}{{ bos_token }}"
    "{% endif %}{% endfor %}"
)

FASTCHAT_LLAMA_2 = (
    "{{ bos_token }}" + _SYSTEM_SPLIT + "{% for message in loop_messages %}"
    "{% if loop.first %}[INST] <<SYS>>\n{{ system or '' }}\n<</SYS>>\n\n{{ message['content'] }}"
    "{% elif message['role'] == 'user' %}[INST] {{ message['content'] }} "
    "{% else %}[/INST] {{ message['content'] }} </s><s>{% endif %}{% endfor %}"
    "{% if add_generation_prompt %}[/INST]{% endif %}"
)

BUILTIN_TEMPLATES = {"llama-2": LLAMA_2, "fastchat-llama-2": FASTCHAT_LLAMA_2}


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
