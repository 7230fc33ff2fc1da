"""Public verbs at a package's root, imported only when first used.

``from delivery import publish`` must work in a host's code, but importing
models before Django is ready fails; so the package root names its verbs and
loads each one on first access.
"""

import importlib


def lazy_exports(package, exports):
    """A module ``__getattr__`` serving ``exports`` (name -> module path) for ``package``."""

    def __getattr__(name):
        if name in exports:
            return getattr(importlib.import_module(exports[name]), name)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    return __getattr__
