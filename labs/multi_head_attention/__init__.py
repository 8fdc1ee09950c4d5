"""Lab 4: multi_head_attention."""
