"""stx: reproduce the STX QLoRA recipe and jp-stable JGLUE evaluation as parameterised notebooks."""

__version__ = "0.1.0"
