"""Lab 1: RNN vs attention, path length and parallelism."""
