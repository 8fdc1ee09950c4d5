"""Known wrong answers of lab 1 (rnn_vs_attention), so that failure messages can name them. SCAFFOLD: add them."""
