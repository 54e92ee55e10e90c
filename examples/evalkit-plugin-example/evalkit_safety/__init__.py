"""evalkit-plugin-example: safety inspections in the department score."""

__version__ = "0.2.0"
