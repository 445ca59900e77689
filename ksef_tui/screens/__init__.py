"""screens layer (see DESIGN.md)."""
