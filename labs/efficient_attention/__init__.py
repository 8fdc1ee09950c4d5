"""Lab 2: efficient_attention."""
