"""Lab 6: a KV cache for fast autoregressive decoding."""
