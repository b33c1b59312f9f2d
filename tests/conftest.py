"""Shared test configuration."""

import pytest


def pytest_collection_modifyitems(config, items):
    # scikit-learn's checks on the sgd solver run its plain-Python per-sample loop: the slowest
    # group of the suite. The default run includes them; `-m "not slow"` skips them.
    for item in items:
        if item.module.__name__.endswith("test_common") and "solver='sgd'" in item.name:
            item.add_marker(pytest.mark.slow)


# Hypothesis profiles (tests/test_properties.py): "default" for a normal run, "thorough" with ten
# times the examples. Select with HYPOTHESIS_PROFILE=thorough (or --hypothesis-profile=thorough).
# "default" reports a failing example as generated, without shrinking it: each step of a shrink
# refits models, and one shrink took minutes. "thorough" shrinks to a minimal example.
import os  # noqa: E402

try:
    from hypothesis import HealthCheck, Phase, settings
except ImportError:  # the other test modules run without Hypothesis
    pass
else:
    settings.register_profile("default", max_examples=25, deadline=None,
                              suppress_health_check=[HealthCheck.too_slow],
                              phases=[p for p in Phase if p is not Phase.shrink])
    settings.register_profile("thorough", max_examples=250, deadline=None,
                              suppress_health_check=[HealthCheck.too_slow])
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))
