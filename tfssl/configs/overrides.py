"""Strict overrides of dataclass configs from YAML files and `a.b=1,c=d` strings.

Overrides apply in order (defaults → each config file → params_override); a key that the config
does not have is an error that names the nearest valid key.
"""

import copy
import dataclasses
import difflib
import os
import typing

import yaml

from tfssl.configs import base
from tfssl.configs.base import ConfigError
from tfssl.files import atomic_write


def _all_keys(config, prefix=""):
    """Dotted paths of every field in a dataclass tree."""
    keys = []
    for f in dataclasses.fields(config):
        path = f"{prefix}{f.name}"
        keys.append(path)
        value = getattr(config, f.name)
        if dataclasses.is_dataclass(value):
            keys.extend(_all_keys(value, path + "."))
    return keys


def _unknown_key_error(root, path):
    nearest = difflib.get_close_matches(path, _all_keys(root), n=1, cutoff=0.0)
    hint = f"; did you mean '{nearest[0]}'?" if nearest else ""
    return ConfigError(f"unknown config key '{path}'{hint}")


def _coerce(value, annotation, path):
    """Converts a parsed YAML value to a field's declared type, or raises ConfigError."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Union:  # Optional[X]
        if value is None:
            return None
        return _coerce(value, next(a for a in args if a is not type(None)), path)
    if origin in (list, tuple):
        if not isinstance(value, (list, tuple)):
            raise ConfigError(f"{path} expects a list, got {value!r}")
        return (
            [_coerce(v, args[0], f"{path}[{i}]") for i, v in enumerate(value)]
            if args
            else list(value)
        )
    if annotation is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{path} expects true/false, got {value!r}")
        return value
    if annotation is int:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or int(value) != value:
            raise ConfigError(f"{path} expects an integer, got {value!r}")
        return int(value)
    if annotation is float:
        if isinstance(value, str):  # PyYAML (YAML 1.1) reads `1e-6` as a string.
            value = _parse_float(value, path)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{path} expects a number, got {value!r}")
        return float(value)
    if annotation is str:
        return "" if value is None else str(value)
    return value


def _parse_float(text, path):
    try:
        return float(text)
    except ValueError:
        raise ConfigError(f"{path} expects a number, got {text!r}") from None


def merge(config, overrides, root=None, prefix=""):
    """Applies a nested dict of overrides to a dataclass tree in place and returns it."""
    root = config if root is None else root
    if not isinstance(overrides, dict):
        raise ConfigError(f"expected a mapping at '{prefix or '<root>'}', got {overrides!r}")
    hints = typing.get_type_hints(type(config))
    names = {f.name for f in dataclasses.fields(config)}
    for key, value in overrides.items():
        path = f"{prefix}{key}"
        if key not in names:
            raise _unknown_key_error(root, path)
        current = getattr(config, key)
        if dataclasses.is_dataclass(current):
            merge(current, value, root, path + ".")
        else:
            setattr(config, key, _coerce(value, hints[key], path))
    return config


def _split_top_level(text):
    """Splits `a=1,b=[2,3]` on the commas that are not inside brackets."""
    parts, depth, start = [], 0, 0
    for i, char in enumerate(text):
        depth += char in "[{("
        depth -= char in "]})"
        if char == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return [p.strip() for p in parts if p.strip()]


def _nest(dotted_key, value):
    nested = value
    for part in reversed(dotted_key.split(".")):
        nested = {part: nested}
    return nested


def _deep_update(base, update):
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            _deep_update(base[key], value)
        else:
            base[key] = value
    return base


def parse_params_override(text):
    """Parses `--params_override`: either `a.b=1,c=d` or a YAML mapping, into a nested dict."""
    text = text.strip()
    if not text:
        return {}
    first_eq, first_colon = text.find("="), text.find(":")
    if first_eq != -1 and (first_colon == -1 or first_eq < first_colon):
        result = {}
        for item in _split_top_level(text):
            if "=" not in item:
                raise ConfigError(f"params_override item '{item}' is not of the form key=value")
            key, raw = item.split("=", 1)
            _deep_update(result, _nest(key.strip(), yaml.safe_load(raw)))
        return result
    parsed = yaml.safe_load(text)
    if not isinstance(parsed, dict):
        raise ConfigError(
            f"params_override is neither key=value pairs nor a YAML mapping: {text!r}"
        )
    return parsed


def load_yaml_file(path):
    """Reads a YAML config file into a dict; a missing file is an error naming its path."""
    if not os.path.exists(path):
        raise FileNotFoundError(f"config file not found: {path}")
    with open(path) as f:
        return yaml.safe_load(f) or {}


def as_written(config):
    """`dataclasses.asdict(config)` without the sub-configs that one-of configs do not choose
    (e.g. only `optimizer.adamw` of an AdamW run): they are never read."""
    values = {}
    for f in dataclasses.fields(config):
        if f.name in base.unchosen_fields(config):
            continue
        value = getattr(config, f.name)
        values[f.name] = (
            as_written(value) if dataclasses.is_dataclass(value) else copy.deepcopy(value)
        )
    return values


def _changes(values, defaults):
    """The entries of the nested dict `values` that differ from those of `defaults`."""
    changed = {}
    for key, value in values.items():
        if isinstance(value, dict):
            value = _changes(value, defaults[key])
            if value:
                changed[key] = value
        elif value != defaults[key]:
            changed[key] = value
    return changed


def to_yaml(config, defaults=None):
    """The config as YAML: every field that applies (`as_written`), or, given `defaults` (an
    ExperimentConfig of the same TaskConfig class), only the fields that differ from them, plus
    `task.method`, which names the TaskConfig class the file is read into."""
    values = as_written(config)
    if defaults is not None:
        values = _changes(values, dataclasses.asdict(defaults))
        values = {"task": {"method": config.task.method, **values.pop("task", {})}, **values}
    return yaml.safe_dump(values, sort_keys=False)


def write_yaml(config, path, defaults=None):
    """Writes `to_yaml(config, defaults)` to `path` atomically (`tfssl.files.atomic_write`)."""
    with atomic_write(path) as tmp, open(tmp, "w") as f:
        f.write(to_yaml(config, defaults))
