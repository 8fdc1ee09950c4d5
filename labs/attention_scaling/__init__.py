"""Lab 10: attention_scaling."""
