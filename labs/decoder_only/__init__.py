"""Lab 19: decoder_only."""
