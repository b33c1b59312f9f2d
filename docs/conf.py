"""Sphinx configuration of the hingeclf documentation.

Build: ``python -m sphinx -W --keep-going -b html docs docs/_build/html`` (README.md, marked
``<!-- docs-command -->``). The examples under ``docs/examples/`` run during the build
(sphinx-gallery); the solver pages and the benchmark table are generated from the code and
from ``benchmarks/results/*.json`` by ``docs/_ext/hingeclf_docs.py``.
"""

import os
import sys
import warnings

import hingeclf

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "_ext"))
# the benchmark table reuses the runner's formatting (benchmarks/ is not an installed package)
sys.path.insert(0, os.path.dirname(HERE))

project = "hingeclf"
author = "the hingeclf developers"
copyright = "the hingeclf developers"
release = hingeclf.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    # MathJax from the built site's _static/mathjax/ instead of a CDN, so the maths renders
    # offline (the package ships MathJax's files; it sets ``mathjax_path``)
    "sphinx-mathjax-offline",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "hingeclf_docs",
]

templates_path = ["_templates"]
exclude_patterns = ["_build", "examples/README.txt", "auto_examples/*.ipynb",
                    "auto_examples/*.py", "auto_examples/*.zip", "auto_examples/*.json",
                    "auto_examples/*.md5", "auto_examples/*.codeobj.json"]
source_suffix = {".rst": "restructuredtext"}
root_doc = "index"
default_role = "literal"
pygments_style = "sphinx"

# API reference: one stub page per public name, from the modules' ``__all__``
autosummary_generate = True
autosummary_ignore_module_all = False
autosummary_imported_members = False
autodoc_default_options = {"inherited-members": False}
autosummary_context = {}  # filled below: which methods each public class defines itself
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True



def _public_classes():
    """Every class listed in the ``__all__`` of a public module of hingeclf."""
    import importlib
    import inspect
    import pkgutil

    modules = [hingeclf] + [
        importlib.import_module(f"hingeclf.{info.name}")
        for info in pkgutil.iter_modules(hingeclf.__path__)
        if not info.name.startswith("_") and info.name != "cli"]
    for module in modules:
        for name in getattr(module, "__all__", ()):
            obj = getattr(module, name)
            if inspect.isclass(obj):
                yield f"{module.__name__}.{name}", obj


def _method_origins(cls):
    """``(own, inherited)``: public methods written in hingeclf, and those that come from
    scikit-learn (mixins, metadata routing), whose docstrings refer to scikit-learn's pages."""
    own, inherited = [], []
    for name in sorted(dir(cls)):
        if name.startswith("_") or not callable(getattr(cls, name, None)):
            continue
        # the defining function's module: set_*_request methods are attached to each class
        # by scikit-learn's metadata routing, but written (and documented) there
        module = getattr(getattr(cls, name), "__module__", "") or ""
        (own if module.startswith("hingeclf") else inherited).append(name)
    return own, inherited


autosummary_context["own_methods"] = {}
autosummary_context["inherited_methods"] = {}
for _fullname, _cls in _public_classes():
    _own, _inherited = _method_origins(_cls)
    autosummary_context["own_methods"][_fullname] = _own
    autosummary_context["inherited_methods"][_fullname] = _inherited

html_theme = "alabaster"
html_theme_options = {
    "description": "Linear classifiers trained on hinge-type losses",
    "fixed_sidebar": True,
    "page_width": "1100px",
    "sidebar_width": "230px",
}
html_static_path = []
html_title = f"hingeclf {release}"

# matplotlib without a display, and examples that print no progress bars
os.environ.setdefault("MPLBACKEND", "Agg")
warnings.filterwarnings("ignore", category=UserWarning,
                        message="Matplotlib is currently using agg")

sphinx_gallery_conf = {
    "examples_dirs": ["examples"],
    "gallery_dirs": ["auto_examples"],
    "filename_pattern": r"/plot_",
    "within_subsection_order": "FileNameSortKey",
    "download_all_examples": False,
    "remove_config_comments": True,
    "show_memory": False,
    "plot_gallery": "True",
    "abort_on_example_error": True,
    "min_reported_time": 0,
    "matplotlib_animations": False,
}
