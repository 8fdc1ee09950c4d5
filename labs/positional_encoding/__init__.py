"""Lab 3: positional encodings: the sinusoidal table, RoPE and a learned position table."""
