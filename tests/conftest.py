"""Shared test configuration."""

import pytest


def pytest_collection_modifyitems(config, items):
    # scikit-learn's checks on the sgd solver run its plain-Python per-sample loop: the slowest
    # group of the suite. The default run includes them; `-m "not slow"` skips them.
    for item in items:
        if item.module.__name__.endswith("test_common") and "solver='sgd'" in item.name:
            item.add_marker(pytest.mark.slow)
