"""One repository per kind of record; each seals and opens its own columns."""
