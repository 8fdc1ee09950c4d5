"""Lab 13: Longformer's sliding-window and global attention, and what it costs."""
