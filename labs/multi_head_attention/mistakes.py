"""Known wrong answers of lab 4 (multi_head_attention), so that failure messages can name them. SCAFFOLD: add them."""
