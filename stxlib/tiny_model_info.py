"""Names of the embedded tiny models and what the report says of the demo one: plain data, importable by
the report and the config without building or loading a model (see `stxlib.tiny_model`)."""

TINY_MODEL_NAME = "stx-tiny"
PRETRAINED_MODEL_NAME = "stx-tiny-pretrained"  # the demo's model

# What the report says of the demo model (a run whose base is stx-tiny).
DEMO_MODEL_NOTE = (
    "Demo model: stx-tiny-pretrained, a 2-layer Llama (hidden size 64, 3,000-token vocabulary, about 0.5 M parameters) "
    "built by stx from the fixture text and pre-trained on it for a few seconds, so that fine-tuning shows a "
    "clear fall in loss. It knows almost nothing: its losses and scores only show the pipeline working."
)
