"""Shared fixtures: a small valid dataset every test can copy and break on purpose."""

from __future__ import annotations

import copy

import pytest
from fixture_data import SMALL
from hypothesis import settings

from evalkit.testing import write_dataset

# No test is timed (the host is shared and its load varies): Hypothesis's default deadline of
# 200 ms per example would be one, and failed a property test once under load.
settings.register_profile("untimed", deadline=None)
settings.load_profile("untimed")


@pytest.fixture
def small() -> dict:
    """A deep copy of the small valid dataset, to modify in a test."""
    return copy.deepcopy(SMALL)


@pytest.fixture
def small_dir(tmp_path, small):
    return write_dataset(tmp_path / "data", small)


@pytest.fixture(autouse=True, scope="session")
def _no_installed_plugins():
    """Tests see the built-in plugins only, whatever is installed (tests of discovery opt back in)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("EVALKIT_DISABLE_PLUGIN_AUTOLOAD", "1")
        yield
