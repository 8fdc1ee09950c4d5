"""One module per screen, each with its own stylesheet next to it."""
