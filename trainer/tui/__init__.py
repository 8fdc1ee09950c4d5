"""The Textual interface: `make_app()` builds the app for the CLI and the tests."""
