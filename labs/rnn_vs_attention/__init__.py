"""Lab 1: rnn_vs_attention."""
