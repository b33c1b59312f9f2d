"""Deferred imports of the compiled kernels, so that importing the package does not import numba.

Importing numba takes about 0.4 s, and a fit on fewer than
:data:`hingeclf._products.COMPILED_MIN_ROWS` samples calls no compiled kernel (it runs numpy's
array formulas instead), so the modules that compile with numba are reached through these
proxies and imported on the first use of one of their functions (measurements:
benchmarks/results/first_fit.md).

- :func:`lazy_module` stands for a module: attribute access imports it.
- :func:`lazy_function` stands for one function of a module: calling it imports the module.
- :func:`njit` is ``numba.njit(**options)`` applied on the first call. It serves kernels that
  call no other compiled function (numba must see a compiled callee, not this proxy); kernels
  that call each other live in a module of their own reached through :func:`lazy_module`.
"""

from __future__ import annotations

import functools
import importlib
import sys
import threading

_LOCK = threading.Lock()


class _LazyModule:
    __slots__ = ("_name", "_module")

    def __init__(self, name):
        self._name = name
        self._module = None

    def __getattr__(self, attr):
        module = self._module
        if module is None:
            module = self._module = importlib.import_module(self._name)
        return getattr(module, attr)

    def __repr__(self):
        return f"<module {self._name!r}, imported on first use>"


def lazy_module(name):
    """A stand-in for the module ``name`` (absolute), imported at its first attribute access."""
    return _LazyModule(name)


def lazy_function(module, name):
    """A stand-in for the function ``module.name``, imported at its first call."""
    proxy = _LazyModule(module)

    def call(*args, **kwargs):
        return getattr(proxy, name)(*args, **kwargs)

    call.__name__ = call.__qualname__ = name
    call.__doc__ = f"``{module}.{name}``, imported on its first call."
    return call


class _LazyKernel:
    """``numba.njit(**options)(py_func)``, made (and numba imported) on the first call."""

    def __init__(self, py_func, options):
        functools.update_wrapper(self, py_func)
        self.py_func = py_func
        self._options = options
        self._dispatcher = None

    @property
    def dispatcher(self):
        """The numba dispatcher (made here on the first request)."""
        if self._dispatcher is None:
            with _LOCK:
                if self._dispatcher is None:
                    import numba

                    self._dispatcher = numba.njit(**self._options)(self.py_func)
        return self._dispatcher

    def __call__(self, *args):
        return self.dispatcher(*args)


def njit(**options):
    """``numba.njit(**options)``, applied to the decorated function on its first call."""
    return lambda py_func: _LazyKernel(py_func, options)


def announce_compiling(solver):
    """Print, once per process and only before numba is imported, that the fit is about to
    use compiled kernels: the first such fit after an install compiles them (seconds to tens
    of seconds, docs/benchmarks.rst 'First fit'); later processes load them from numba's
    on-disk cache. Called by the solver pipeline when ``verbose`` is set."""
    if "numba" in sys.modules:
        return
    print(f"[hingeclf] {solver} uses compiled kernels: numba loads them from its cache, or "
          "compiles them (seconds to tens of seconds) on their first use after an install",
          flush=True)
