"""What a backend's model actually computed: forward passes, positions fed (padding included), the prefix reused.

`LocalBackend.stats` accumulates over the backend's life; take `snapshot()` before some work and
`since(before)` after it for that work's share (JGLUE writes it per task into results.json).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields


@dataclass
class EngineStats:
    forward_passes: int = 0
    fed_tokens: int = 0  # positions run through the model (prefill, packed sequences, decode steps), padding included
    padding_tokens: int = 0  # of `fed_tokens`, positions that are padding
    prefix_tokens_reused: int = 0  # prompt positions taken from the shared prefix (computed once, in fed_tokens)
    generated_tokens: int = 0  # new tokens kept in the outputs
    draft_tokens_accepted: int = 0  # generated tokens that came from a draft (a forward pass saved each)

    def add(self, **counts: int) -> None:
        for name, value in counts.items():
            setattr(self, name, getattr(self, name) + int(value))

    def snapshot(self) -> dict[str, int]:
        return asdict(self)

    def since(self, before: dict[str, int]) -> dict[str, int]:
        """The counts accumulated since `before` (a `snapshot()`)."""
        return {f.name: getattr(self, f.name) - before.get(f.name, 0) for f in fields(self)}
