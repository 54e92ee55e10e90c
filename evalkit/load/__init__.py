"""The load arrow: a dataset folder → typed tables, validated (files → text → types → checks)."""

from .dataset import DEFAULT_MAX_CELL_CHARS, Dataset, Table, load_dataset

__all__ = ["DEFAULT_MAX_CELL_CHARS", "Dataset", "Table", "load_dataset"]
