"""Built-in chat templates (Jinja, Hugging Face `apply_chat_template` conventions) shared by the stages that
render chats: MT-Bench generation and judging, chat SFT and DPO.

- `llama-2`: Shisa-7B's card format (specs/shisa.md §2):
  `<s>[INST] <<SYS>>\\n{system}\\n<</SYS>>\\n\\n{user} [/INST] {assistant} </s><s>[INST] {user2} [/INST]`;
  without a system message the first turn still opens with `[INST] ` (Shisa's own template drops it, see
  specs/shisa.md §9: fixed here).
- `fastchat-llama-2`: the exact prompt FastChat's AUGMXNT fork built for Shisa's 5.23 (its forced `llama-2`
  conversation, `SeparatorStyle.LLAMA2`): no space before the first `[/INST]`, `[INST] {user2} [/INST]` later,
  and an empty `<<SYS>>` block when there is no system message.

Both start with `bos_token` (the tokenizer then must not add another: the engine renders chats that way). A chat
ending with an answer ends with its `</s>` (no `<s>` after the last turn: DPO's completions end with EOS).
`LLAMA_2_TRAINING` renders the same text as `LLAMA_2` with each assistant answer and its `</s>` wrapped in
`{% generation %}`, so that `apply_chat_template(..., return_assistant_tokens_mask=True)` marks exactly the
tokens chat SFT takes the loss on.
"""

from __future__ import annotations

_SYSTEM_SPLIT = (
    "{% if messages[0]['role'] == 'system' %}{% set system = messages[0]['content'] %}"
    "{% set loop_messages = messages[1:] %}{% else %}{% set system = none %}{% set loop_messages = messages %}"
    "{% endif %}"
)


def _llama_2(generation_markers: bool) -> str:
    answer = " {{ message['content'] }} {{ eos_token }}"
    if generation_markers:
        answer = " {% generation %}{{ message['content'] }} {{ eos_token }}{% endgeneration %}"
    return (
        "{{ bos_token }}" + _SYSTEM_SPLIT + "{% for message in loop_messages %}"
        "{% if message['role'] == 'user' %}[INST] "
        "{% if loop.first and system is not none %}<<SYS>>\n{{ system }}\n<</SYS>>\n\n{% endif %}"
        "{{ message['content'] }} [/INST]"
        "{% elif message['role'] == 'assistant' %}" + answer + "{% if not loop.last %}{{ bos_token }}{% endif %}"
        "{% endif %}{% endfor %}"
    )


LLAMA_2 = _llama_2(generation_markers=False)
LLAMA_2_TRAINING = _llama_2(generation_markers=True)

FASTCHAT_LLAMA_2 = (
    "{{ bos_token }}" + _SYSTEM_SPLIT + "{% for message in loop_messages %}"
    "{% if loop.first %}[INST] <<SYS>>\n{{ system or '' }}\n<</SYS>>\n\n{{ message['content'] }}"
    "{% elif message['role'] == 'user' %}[INST] {{ message['content'] }} "
    "{% else %}[/INST] {{ message['content'] }} </s><s>{% endif %}{% endfor %}"
    "{% if add_generation_prompt %}[/INST]{% endif %}"
)

BUILTIN_TEMPLATES = {"llama-2": LLAMA_2, "fastchat-llama-2": FASTCHAT_LLAMA_2}
# Templates with `{% generation %}` markers, for training on the assistant tokens only.
TRAINING_TEMPLATES = {"llama-2": LLAMA_2_TRAINING}


def training_template(value: str, setting: str) -> str:
    """The Jinja text to train with for a params value: `llama-2` (with generation markers) or a Jinja template
    that marks the assistant turns with `{% generation %}...{% endgeneration %}`."""
    if value in TRAINING_TEMPLATES:
        return TRAINING_TEMPLATES[value]
    if "{% generation %}" in value or "{%- generation %}" in value:
        return value
    raise ValueError(
        f"{setting}={value[:60]!r} is neither a built-in training template ({', '.join(TRAINING_TEMPLATES)}) nor a "
        "Jinja template with {% generation %} markers around the assistant turns (needed for assistant-only labels)"
    )


def rendering_template(value: str, setting: str) -> str:
    """The Jinja text that renders a chat (no markers): a built-in name or a Jinja template."""
    if value in BUILTIN_TEMPLATES:
        return BUILTIN_TEMPLATES[value]
    if "{{" in value or "{%" in value:
        return value
    raise ValueError(
        f"{setting}={value[:60]!r} is neither a built-in template ({', '.join(BUILTIN_TEMPLATES)}) nor a Jinja template"
    )
