"""Transformer interview trainer: SM-2 cards and autograded coding labs."""

__version__ = "0.1.0"
