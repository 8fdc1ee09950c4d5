"""Modal dialogs (confirm, help) that any screen may open; they open no screen themselves."""
