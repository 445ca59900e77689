"""ksef layer (see DESIGN.md)."""
