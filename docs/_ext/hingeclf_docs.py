"""Directives that generate documentation from the code and the recorded results.

Nothing here holds a number or a list that the code already knows:

``.. hingeclf-solvers::``
    One section per entry of the solver registry ``hingeclf._solvers.SOLVERS``: its summary,
    what it needs from a loss, and its solver function's docstring (the stopping rule).
``.. hingeclf-solver-support::``
    A table of every loss the public estimators can build against every registered solver:
    which solver ``"auto"`` picks (``BaseHingeClassifier._resolve_solver``), and whether each
    solver handles the loss directly, through smoothing continuation, or not at all
    (``check_solver_supports``).
``.. hingeclf-docstring:: dotted.name``
    The docstring of any object (private ones included), or a string constant of a module,
    parsed as reStructuredText.
``.. hingeclf-benchmark-table::``
    The benchmark results read from ``benchmarks/results/full.json`` if it exists, else
    ``quick.json``, with the command and machine that produced them.
``.. hingeclf-cli-help::``
    The ``--help`` text of the command line and of each subcommand.
"""

from __future__ import annotations

import importlib
import inspect
import itertools
import json
import os
import sys

import numpy as np
from docutils import nodes
from docutils.statemachine import StringList
from sphinx.util.docutils import SphinxDirective
from sphinx.util.nodes import nested_parse_with_titles

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
RESULTS_DIR = os.path.join(REPO_ROOT, "benchmarks", "results")
#: preference order of the benchmark result files (the full suite first)
RESULT_FILES = ("full.json", "quick.json")


def find_benchmark_results(results_dir=RESULTS_DIR):
    """Path of the preferred benchmark result file, or None when none exists."""
    for name in RESULT_FILES:
        path = os.path.join(results_dir, name)
        if os.path.exists(path):
            return path
    return None


def _import(dotted):
    """The object named by a dotted path (module attributes and class members included)."""
    parts = dotted.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        for attr in parts[i:]:
            obj = getattr(obj, attr)
        return obj
    raise ImportError(f"cannot import {dotted!r}")


class _RstDirective(SphinxDirective):
    """A directive that produces reStructuredText and parses it in place."""

    def rst_lines(self):  # pragma: no cover - abstract
        raise NotImplementedError

    def run(self):
        lines = self.rst_lines()
        container = nodes.section() if self.has_titles else nodes.container()
        source = self.get_source_info()[0]
        content = StringList(lines, source=source)
        if self.has_titles:
            nested_parse_with_titles(self.state, content, container)
            return container.children
        self.state.nested_parse(content, self.content_offset, container)
        return container.children

    has_titles = False


def _docstring_lines(obj):
    if isinstance(obj, str):  # a module's string constant (a docstring fragment)
        return inspect.cleandoc(obj).splitlines()
    return inspect.cleandoc(inspect.getdoc(obj) or "").splitlines()


class DocstringDirective(_RstDirective):
    required_arguments = 1

    def rst_lines(self):
        return _docstring_lines(_import(self.arguments[0]))


def _capabilities(spec):
    needs = (", ".join(f"``{name}``" for name in spec.requires)
             or "a gradient (every loss has one)")
    lines = [f"- Needs from the loss (:doc:`/developers`): {needs}."]
    if spec.smooth_only:
        lines.append("- Smooth losses only: the non-smooth ones reach it through smoothing "
                     "continuation (see :ref:`continuation`).")
    if spec.stochastic:
        lines.append("- Stochastic: uses ``random_state``; enables ``partial_fit``.")
    else:
        lines.append("- Full batch: ends with the exact face solve where it applies "
                     "(see :ref:`face-solve`).")
    return lines


class SolversDirective(_RstDirective):
    has_titles = True

    def rst_lines(self):
        from hingeclf._solvers import SOLVERS

        lines = []
        for name, spec in SOLVERS.items():
            title = f'``solver="{name}"``'
            lines += [title, "-" * len(title), ""]
            if spec.summary:
                lines += [spec.summary[0].upper() + spec.summary[1:] + ".", ""]
            lines += _capabilities(spec) + [""]
            module = sys.modules[spec.function.__module__]
            lines += [f"From the docstring of ``{module.__name__}``:", ""]
            lines += ["    " + line if line else "" for line in _docstring_lines(module)]
            lines += ["", f"From the docstring of ``{spec.function.__module__}."
                      f"{spec.function.__name__}``:", ""]
            lines += ["    " + line if line else "" for line in _docstring_lines(spec.function)]
            lines.append("")
        return lines


def _estimator_losses():
    """``(label, estimator, loss)`` for every loss a public estimator builds.

    Each public estimator is instantiated with every combination of its string-option
    parameters (except ``solver``), and asked for its loss for two classes (binary
    estimators) or three (multiclass ones), as ``fit`` would.
    """
    import hingeclf
    from hingeclf._base import BaseHingeClassifier
    from sklearn.utils._param_validation import StrOptions

    out = []
    for name in hingeclf.__all__:
        cls = getattr(hingeclf, name)
        if not (inspect.isclass(cls) and issubclass(cls, BaseHingeClassifier)):
            continue
        options = {}
        for param, constraints in cls._parameter_constraints.items():
            if param == "solver":
                continue
            # parameters that only take strings (``multi_class``, ``loss``, ...); not the
            # ones that also take other values (``class_weight``)
            if len(constraints) == 1 and isinstance(constraints[0], StrOptions):
                c = constraints[0]
                options[param] = sorted(c.options - set(getattr(c, "internal", ())))
        keys = sorted(options)
        for values in itertools.product(*(options[k] for k in keys)):
            params = dict(zip(keys, values))
            n_classes = 3 if "multi_class" in params else 2
            try:
                est = cls(**params)
                loss = est._make_loss(n_classes)
            except Exception:  # an estimator whose loss needs more than this: not tabulated
                continue
            label = f"``{name}({', '.join(f'{k}={v!r}' for k, v in params.items())})``"
            out.append((label, est, loss))
    return out


class SolverSupportDirective(_RstDirective):
    def rst_lines(self):
        from hingeclf._objective import make_penalty
        from hingeclf._solvers import SOLVERS, check_solver_supports

        # the table is for the default L2 penalty; L1 / elastic-net have their own solvers
        names = [n for n, spec in SOLVERS.items() if "l2" in spec.penalties]
        lines = ["With the default ``penalty=\"l2\"``.", "",
                 ".. list-table::", "   :header-rows: 1", "",
                 "   * - estimator and options", "     - loss (internal name)",
                 '     - ``"auto"`` picks']
        lines += [f'     - ``"{n}"``' for n in names]
        X = np.zeros((3, 2))
        for label, est, loss in _estimator_losses():
            lines += [f"   * - {label}", f"     - ``{loss.name}``",
                      f'     - ``"{est._resolve_solver(loss, X)}"``']
            for n in names:
                try:
                    check_solver_supports(n, loss, make_penalty("l2", 0.5))
                except (ValueError, TypeError, NotImplementedError):
                    cell = "no"
                else:
                    smoothed = SOLVERS[n].smooth_only and not loss.is_smooth
                    cell = "by continuation" if smoothed else "yes"
                lines.append(f"     - {cell}")
        return lines + [""]


def _fmt(value, spec):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    try:
        return format(value, spec)
    except (TypeError, ValueError):
        return str(value)


#: (header, record key, format) of the columns of the benchmark table
BENCHMARK_COLUMNS = (
    ("case", "case", ""),
    ("solver", "solver", ""),
    ("time (s)", "time_s", ".3f"),
    ("x LinearSVC", "x_linearsvc", ""),
    ("objective gap", "rel_objective_gap", ".1e"),
    ("accuracy", "accuracy", ".4f"),
    ("duality gap", "duality_gap", ".1e"),
    ("converged", "converged", ""),
    ("n_iter", "n_iter", "d"),
    ("peak extra MB", "peak_extra_mb", ".1f"),
)


class BenchmarkTableDirective(_RstDirective):
    def rst_lines(self):
        path = find_benchmark_results()
        if path is None:
            raise self.error(f"no benchmark results in {RESULTS_DIR} (looked for "
                             f"{', '.join(RESULT_FILES)}): run `python -m benchmarks --quick`")
        self.env.note_dependency(path)
        with open(path) as f:
            data = json.load(f)
        meta, records = data.get("meta", {}), data["records"]
        rel = os.path.relpath(path, REPO_ROOT)
        lines = [f"Read at build time from ``{rel}``, written by ``{meta.get('command', '?')}`` "
                 f"on {meta.get('machine', 'an unrecorded machine')} with "
                 f"{meta.get('repeats', '?')} repeat(s) per configuration "
                 f"({len(records)} records).", "",
                 ".. list-table::", "   :header-rows: 1", ""]
        for i, (header, _, _) in enumerate(BENCHMARK_COLUMNS):
            lines.append(f"   {'*' if i == 0 else ' '} - {header}")
        from benchmarks.run import _liblinear_ratio

        for r in records:
            r = dict(r)
            if "finished" in r:  # runners that time out report unfinished configurations
                r["x_linearsvc"] = _liblinear_ratio(r, records)
                if not r["finished"]:
                    r["time_s"] = f"> {r['timeout_s']:g}"
            for i, (_, key, spec) in enumerate(BENCHMARK_COLUMNS):
                lines.append(f"   {'*' if i == 0 else ' '} - {_fmt(r.get(key), spec)}")
        return lines + [""]


class CliHelpDirective(_RstDirective):
    def rst_lines(self):
        import argparse

        from hingeclf.cli import build_parser

        parser = build_parser()
        parts = [("hingeclf --help", parser.format_help())]
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    parts.append((f"hingeclf {name} --help", sub.format_help()))
        lines = []
        for command, text in parts:
            lines += [".. code-block:: text", "", f"    $ {command}"]
            lines += ["    " + line if line.strip() else "" for line in text.splitlines()]
            lines.append("")
        return lines


def setup(app):
    app.add_directive("hingeclf-docstring", DocstringDirective)
    app.add_directive("hingeclf-solvers", SolversDirective)
    app.add_directive("hingeclf-solver-support", SolverSupportDirective)
    app.add_directive("hingeclf-benchmark-table", BenchmarkTableDirective)
    app.add_directive("hingeclf-cli-help", CliHelpDirective)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1"}
