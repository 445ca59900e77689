"""widgets layer (see DESIGN.md)."""
