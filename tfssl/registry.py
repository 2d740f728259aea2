"""One registry class for every name → object table of the library: methods, experiments, task
configs, backbones, optimizers and data sources. A config names its choices by these keys, and
its validation reads the same tables, so a choice is listed in one place only."""

import difflib
import importlib
import sys


def _import_registrations():
    """Imports every module that registers a name (`tfssl.registry_imports`) once, so a lookup
    sees the whole table even when the caller imported a single tfssl module by its path."""
    if "tfssl.registry_imports" not in sys.modules:
        importlib.import_module("tfssl.registry_imports")


class UnknownNameError(KeyError, ValueError):
    """A name that is not registered: a KeyError for a lookup, and a ValueError for a caller
    that passed a bad value (e.g. `build_backbone("vit")`)."""

    def __str__(self):
        return self.args[0]  # KeyError's own str() would quote the message.


class Registry:
    """Names → registered objects of one `kind` (e.g. "backbone"), filled by a decorator.

    An unknown name is a KeyError that names the kind, suggests the nearest registered name and
    lists them all; registering a name twice is an error, so two modules cannot silently shadow
    each other.
    """

    def __init__(self, kind):
        self.kind = kind
        self._entries = {}

    def register(self, name):
        """Decorator registering its argument (a class, function or object) as `name`."""

        def decorator(obj):
            if name in self._entries:
                raise ValueError(f"{self.kind} '{name}' is registered twice")
            self._entries[name] = obj
            return obj

        return decorator

    def get(self, name):
        """The object registered as `name`.

        Raises:
          UnknownNameError (a KeyError): `name` is not registered; the message names the kind,
            suggests the nearest registered name and lists them all.
        """
        if name not in self._entries:
            _import_registrations()
        if name not in self._entries:
            nearest = difflib.get_close_matches(str(name), self.names(), n=1, cutoff=0.0)
            hint = f"; did you mean '{nearest[0]}'?" if nearest else ""
            raise UnknownNameError(
                f"unknown {self.kind} '{name}'{hint} (known: {', '.join(self.names())})"
            )
        return self._entries[name]

    def names(self):
        """The registered names, sorted."""
        _import_registrations()
        return sorted(self._entries)

    def __contains__(self, name):
        if name not in self._entries:
            _import_registrations()
        return name in self._entries
