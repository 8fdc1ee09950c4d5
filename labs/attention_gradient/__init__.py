"""Lab 8: the backward pass of self-attention, by hand."""
