"""evalkit's default rule packs (YAML), shipped as package data `evalkit_rules`."""
