"""Public docstrings are valid numpydoc, and every example in them (and in docs/) runs.

Public names are read from the code, so a new public class, method or function is checked
without editing this file: the ``__all__`` of ``hingeclf`` and of each public submodule
(``hingeclf.svm``, ``hingeclf.metrics``, ...), every public method of each class listed there
(inherited ones included: they appear in the API reference too), and every function.
"""

import doctest
import importlib
import inspect
import pkgutil
from pathlib import Path

import pytest
from numpydoc.validate import validate

import hingeclf

DOCS = Path(__file__).resolve().parent.parent / "docs"

# numpydoc check codes not enforced, each with its reason (all other checks apply):
IGNORED_EVERYWHERE = {
    # "self : object", "loss : float": scikit-learn names its returned values; RT02 wants the
    # type alone on the first line of Returns
    "RT02",
}
IGNORED_FOR_METHODS = IGNORED_EVERYWHERE | {
    # scikit-learn's method convention (fit, predict, set_params ...): a summary, the
    # parameters and the returns; the extended text, the cross-references and the runnable
    # examples live in the class docstring, where EX01, SA01 and ES01 are enforced
    "ES01",
    "SA01",
    "EX01",
}


def _public_modules():
    """``hingeclf`` and its submodules whose names do not start with an underscore."""
    names = [info.name for info in pkgutil.iter_modules(hingeclf.__path__)]
    return [hingeclf] + [importlib.import_module(f"hingeclf.{name}") for name in sorted(names)
                         if not name.startswith("_")]


def _all_modules():
    """Every module of the package, private ones included (they hold examples too)."""
    return [hingeclf] + [importlib.import_module(info.name) for info in
                         pkgutil.walk_packages(hingeclf.__path__, prefix="hingeclf.")]


def _public_objects():
    """``(import path, is_method)`` of every public class, method and function."""
    seen = {}
    for module in _public_modules():
        for name in getattr(module, "__all__", ()):
            obj = getattr(module, name)
            if inspect.isclass(obj):
                path = f"{obj.__module__}.{obj.__qualname__}"
                seen[path] = False
                for attr in dir(obj):
                    if not attr.startswith("_") and callable(getattr(obj, attr, None)):
                        seen[f"{path}.{attr}"] = True
            elif inspect.isfunction(obj):
                seen[f"{obj.__module__}.{obj.__qualname__}"] = False
            # other objects (the scorer instances, the SCORERS dict, __version__) have no
            # docstring of their own: they are documented by a comment in their module
    return sorted(seen.items())


PUBLIC_OBJECTS = _public_objects()


def test_public_objects_found():
    paths = [path for path, _ in PUBLIC_OBJECTS]
    for expected in ["hingeclf.svm.HingeSVM", "hingeclf.svm.SquaredHingeSVM",
                     "hingeclf.svm.MulticlassHingeSVM", "hingeclf.svm.HingeSVM.fit",
                     "hingeclf.svm.HingeSVM.partial_fit", "hingeclf.metrics.hinge_loss",
                     "hingeclf.metrics.all_pairs_squared_hinge_loss"]:
        assert expected in paths


@pytest.mark.parametrize("path, is_method", PUBLIC_OBJECTS, ids=[p for p, _ in PUBLIC_OBJECTS])
def test_numpydoc(path, is_method):
    ignored = IGNORED_FOR_METHODS if is_method else IGNORED_EVERYWHERE
    result = validate(path)
    errors = [f"{code}: {message}" for code, message in result["errors"]
              if code not in ignored]
    assert not errors, f"{path}:\n" + "\n".join(errors)


def test_estimators_have_examples():
    """Every public class documents at least one example, which the doctests below run."""
    finder = doctest.DocTestFinder()
    for path, is_method in PUBLIC_OBJECTS:
        module, _, name = path.rpartition(".")
        obj = getattr(importlib.import_module(module), name, None) if not is_method else None
        if inspect.isclass(obj):
            tests = finder.find(obj, name, globs={})
            assert sum(len(t.examples) for t in tests if t.name == name) > 0, path


def _skip_without_onnx_extra(name):
    """The examples of the ONNX export need the ``onnx`` extra (skl2onnx, onnxruntime)."""
    if "onnx" in name:
        pytest.importorskip("skl2onnx")
        pytest.importorskip("onnxruntime")


@pytest.mark.parametrize("module", _all_modules(), ids=lambda m: m.__name__)
def test_docstring_examples(module):
    _skip_without_onnx_extra(module.__name__)
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0


def test_docstring_examples_exist():
    """The doctests above cannot all pass vacuously."""
    finder = doctest.DocTestFinder()
    n_examples = sum(len(t.examples) for module in _all_modules() for t in finder.find(module))
    assert n_examples >= 20


# the pages written by hand (not the build's output or its generated pages)
_GENERATED = {"_build", "auto_examples", "generated"}
DOC_PAGES = sorted(p for p in DOCS.rglob("*.rst")
                   if not _GENERATED & set(p.relative_to(DOCS).parts)
                   and ">>>" in p.read_text(encoding="utf-8"))


def test_doc_pages_with_examples_found():
    assert any(p.name == "migration.rst" for p in DOC_PAGES)


@pytest.mark.parametrize("page", DOC_PAGES, ids=lambda p: str(p.relative_to(DOCS)))
def test_doc_page_examples(page):
    _skip_without_onnx_extra(page.name)
    result = doctest.testfile(str(page), module_relative=False,
                              optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0
    assert result.failed == 0
