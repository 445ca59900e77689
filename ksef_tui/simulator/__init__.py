"""simulator layer (see DESIGN.md)."""
