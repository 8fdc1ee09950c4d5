"""Lab 19: decoder-only, the causal mask and a pre-LN GPT decoder block."""
