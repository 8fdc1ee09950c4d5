"""Lab 2: attention with an online softmax (FlashAttention's recurrence), against naive attention and its FLOPs."""
