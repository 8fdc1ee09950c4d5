"""The fixed list of the twenty labs of docs/LABS.md, in card order (pure data)."""

from __future__ import annotations

LAB_SLUGS: tuple[str, ...] = (
    "rnn_vs_attention",
    "efficient_attention",
    "positional_encoding",
    "multi_head_attention",
    "teacher_forcing",
    "kv_cache",
    "length_extrapolation",
    "attention_gradient",
    "normalization",
    "attention_scaling",
    "bert_mlm",
    "t5_span_corruption",
    "longformer",
    "dynamic_batching",
    "distillation",
    "quantization",
    "mixture_of_experts",
    "vision_transformer",
    "decoder_only",
    "state_space_model",
)


def lab_for_card(card_id: int) -> str:
    """The lab slug that belongs to card `card_id` (1-based)."""
    return LAB_SLUGS[card_id - 1]
