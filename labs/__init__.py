"""Coding labs: the reference Transformer, one folder per lab, and the grading support."""
