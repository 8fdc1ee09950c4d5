"""Developer scripts: the lab scaffold, the TinyGPT training run, the GPU check."""
