"""The Textual app: `app` (wiring only), `commands` (the one command registry), `palette*` (palette
providers) and `config` (what the app is given: store folder, clock, settings, KSeF connection)."""
