"""Lab 3: positional_encoding."""
