"""Known wrong answers of lab 19 (decoder_only), so that failure messages can name them. SCAFFOLD: add them."""
