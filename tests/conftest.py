"""Shared test configuration."""

import os
import platform
from collections import defaultdict
from pathlib import Path

import pytest

# The fast tier (`python -m pytest -m "not slow"`) leaves out the tests listed in SLOW_TESTS: those
# that took longer than a threshold in a full run recorded with `--record-slow SECONDS`. Each test
# module keeps its fastest test in the fast tier, so the tier touches every module.
SLOW_TESTS = Path(__file__).with_name("slow_tests.txt")


def _listed_slow():
    if not SLOW_TESTS.exists():
        return frozenset()
    lines = SLOW_TESTS.read_text().splitlines()
    return frozenset(line for line in lines if line and not line.startswith("#"))


def pytest_addoption(parser):
    parser.addoption("--record-slow", type=float, metavar="SECONDS", default=None,
                     help="after a full run, write tests/slow_tests.txt: the tests whose setup, "
                          "call and teardown took longer than SECONDS")


def pytest_collection_modifyitems(config, items):
    slow = _listed_slow()
    for item in items:
        if item.nodeid in slow:
            item.add_marker(pytest.mark.slow)


_durations = defaultdict(float)


def pytest_runtest_logreport(report):
    _durations[report.nodeid] += report.duration


def pytest_sessionfinish(session, exitstatus):
    threshold = session.config.getoption("--record-slow")
    if threshold is None:
        return
    option = session.config.option
    if option.markexpr or option.keyword or option.file_or_dir or exitstatus != 0:
        # (the run's own report follows: nothing is written)
        session.config.get_terminal_writer().line(
            f"--record-slow: {SLOW_TESTS.name} not written: it needs a full, passing run "
            "(no paths, -m or -k)", red=True)
        return
    by_module = defaultdict(list)
    for nodeid, seconds in _durations.items():
        by_module[nodeid.split("::")[0]].append((seconds, nodeid))
    slow = set()
    for tests in by_module.values():
        tests.sort()
        over = [nodeid for seconds, nodeid in tests[1:] if seconds > threshold]
        # (the module's fastest test stays in the fast tier, whatever its time)
        slow.update(over)
    total = sum(_durations.values())
    kept = total - sum(_durations[nodeid] for nodeid in slow)
    header = [
        f"# Tests left out of the fast tier (-m 'not slow'): over {threshold:g} s of setup,",
        f"# call and teardown in a full run of `python -m pytest --record-slow {threshold:g}`",
        f"# ({platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}):",
        f"# {len(slow)} of {len(_durations)} tests; the rest took {kept:.0f} s of {total:.0f} s.",
    ]
    SLOW_TESTS.write_text("\n".join(header + sorted(slow)) + "\n")


# Hypothesis profiles (tests/test_properties.py): "default" for a normal run, "thorough" with ten
# times the examples. Select with HYPOTHESIS_PROFILE=thorough (or --hypothesis-profile=thorough).
# "default" reports a failing example as generated, without shrinking it: each step of a shrink
# refits models, and one shrink took minutes. "thorough" shrinks to a minimal example.

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
