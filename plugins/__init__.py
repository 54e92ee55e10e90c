"""evalkit's built-in rule plugins, installed as `evalkit_plugins`; they use only evalkit's public API."""
