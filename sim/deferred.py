"""Submodules of a library imported when first used instead of with the library.

``import mesa`` (Mesa 3.3) imports every subpackage of Mesa, among them
``mesa.experimental`` (which imports ``scipy.spatial``), ``mesa.space`` and
``mesa.discrete_space`` (which import ``networkx``): about 0.6 s of the 1.3 s a ``talentwar``
command spends starting, for modules the model never uses (it uses ``mesa.Model``,
``mesa.Agent`` and ``mesa.DataCollector``). :func:`defer_submodules` puts a stand-in for
each such submodule where Python looks for imported modules (``sys.modules``), so that the
library's own ``import mesa.space`` finds it there instead of running it. The stand-in is
the module object itself, not yet executed: the first attribute it does not have runs the
module's code in it (as ``importlib.util.LazyLoader`` does; that loader cannot serve here,
because the import statement itself reads the module's ``__spec__``, which would run it at
once). From then on it is an ordinary module, the same object wherever it was imported, so
``mesa.space.MultiGrid``, ``from mesa.space import MultiGrid`` and
``import mesa.discrete_space.cell`` work as before, only later.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import sys
import threading
import types
from collections.abc import Iterable
from typing import Any

_LOCK = threading.RLock()


class DeferredModule(types.ModuleType):
    """A module whose code runs when an attribute it does not have is first read.

    It has its name, ``__spec__`` and ``__file__`` from the start (the import system reads
    the first, :func:`inspect.getmodule` the second, on every module, without needing the
    module's contents); a package's ``__path__`` comes only with its code, so that importing
    one of its submodules runs the package's own ``__init__`` first, as usual.
    """

    def __getattr__(self, name: str) -> Any:
        with _LOCK:
            if type(self) is DeferredModule:  # not run yet (by another thread)
                spec = self.__spec__
                assert spec is not None and spec.loader is not None
                self.__class__ = types.ModuleType  # type: ignore[assignment]  # an ordinary module now
                self.__loader__ = spec.loader
                self.__package__ = spec.parent
                if spec.submodule_search_locations is not None:
                    self.__path__ = list(spec.submodule_search_locations)
                if spec.cached is not None:
                    self.__cached__ = spec.cached
                try:
                    spec.loader.exec_module(self)
                except BaseException:
                    sys.modules.pop(spec.name, None)  # as a failed import leaves it
                    raise
        return getattr(self, name)


def defer_submodules(package: str, names: Iterable[str]) -> list[str]:
    """Make each submodule ``package.NAME`` of ``names`` a :class:`DeferredModule`, unless
    ``package`` is already imported, is not installed, or has no such submodule; return the
    full names of those deferred.

    Call it before ``package`` is imported: its ``__init__`` then binds the stand-ins.
    """
    if package in sys.modules:
        return []
    found = importlib.util.find_spec(package)  # a top-level name: nothing is imported
    if found is None or found.submodule_search_locations is None:
        return []
    deferred = []
    for name in names:
        full = f"{package}.{name}"
        if full in sys.modules:
            continue
        spec = importlib.machinery.PathFinder.find_spec(full, found.submodule_search_locations)
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            continue
        module = DeferredModule(full)
        module.__spec__ = spec
        module.__file__ = spec.origin
        sys.modules[full] = module
        deferred.append(full)
    return deferred
