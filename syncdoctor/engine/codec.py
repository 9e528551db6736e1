"""A compiled knowledge base as plain JSON, and back: the format of the on-disk KB cache.

The cache lives in a user-writable directory, so reading it must never run code: this is not
pickle. The encoding is JSON with a few tags, and decoding only builds objects of an allow-list
(the dataclasses and pydantic models of the modules in :data:`ALLOWED_MODULES`, a handful of
value types, templates as their source text, RE2 patterns as their pattern). Anything else in a
file is a :class:`CacheFormatError`, and the caller rebuilds the knowledge base from its files.

Templates are stored as source and parsed again at their first render, where the load-time
checks run again (:meth:`syncdoctor.kb.templates.Renderer.checked`); an origin (where an item
was written) is stored as its file and key path, the file itself read again only if a problem
is ever located there (:class:`LazyLocated`).
"""

from __future__ import annotations

import dataclasses
import enum
import importlib
from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel

from syncdoctor.errors import KnowledgeBaseError
from syncdoctor.kb.patterns import compile_pattern
from syncdoctor.kb.problems import Origin
from syncdoctor.kb.templates import Renderer
from syncdoctor.kb.yamlfile import Located, load_yaml_file

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

_T = TypeVar("_T")

__all__ = ["ALLOWED_MODULES", "CacheFormatError", "Decoder", "Encoder", "LazyLocated"]

ALLOWED_MODULES = (
    "syncdoctor.kb.condition",
    "syncdoctor.kb.spec",
    "syncdoctor.kb.otherwise",
    "syncdoctor.kb.collector_spec",
    "syncdoctor.kb.pack",
    "syncdoctor.engine.encoding",
    "syncdoctor.engine.compiler.model",
)
"""The only modules whose classes a cache file may name."""

Json = Any
"""Encoded data: a JSON value (a JSON boundary)."""


class CacheFormatError(ValueError):
    """A cache file (or an object to cache) outside the format: rebuild, never trust it."""


def _registry() -> dict[str, type]:
    classes: dict[str, type] = {}
    for name in ALLOWED_MODULES:
        module = importlib.import_module(name)
        for value in vars(module).values():
            if isinstance(value, type) and value.__module__ == name and (
                dataclasses.is_dataclass(value)
                or issubclass(value, BaseModel | enum.Enum)
            ):
                classes[f"{name}:{value.__qualname__}"] = value
    return classes


_CLASSES: dict[str, type] | None = None


def _classes() -> dict[str, type]:
    global _CLASSES
    if _CLASSES is None:
        _CLASSES = _registry()
    return _CLASSES


def _class_key(kind: type) -> str:
    key = f"{kind.__module__}:{kind.__qualname__}"
    if _classes().get(key) is not kind:
        raise CacheFormatError(f"cannot cache a {key}")
    return key


def _plain_json(value: object) -> bool:
    """Whether ``value`` survives a JSON round trip unchanged (no tuple, set, or other type)."""
    if value is None or isinstance(value, str | bool | int):
        return True
    if isinstance(value, float):
        return value == value and value not in (float("inf"), float("-inf"))
    if type(value) is list:
        return all(_plain_json(item) for item in value)
    if type(value) is dict:
        return all(isinstance(k, str) and _plain_json(v) for k, v in value.items())
    return False


class Encoder:
    """Objects of a compiled KB to tagged JSON; origins refer to the files by index."""

    def __init__(self, files: Mapping[str, int]) -> None:
        self._files = files
        """Display name of each KB file -> its index in the cache's file list."""
        self.classes: list[str] = []
        """The classes named, in order of first use: objects name theirs by position."""
        self._class_index: dict[type, int] = {}

    def encode(self, value: object) -> Json:
        """``value`` as tagged JSON.

        Raises:
            CacheFormatError: a value of a kind the format cannot hold.
        """
        if isinstance(value, enum.Enum):  # before plain JSON: a StrEnum is a str too
            return {"$e": self._class(type(value)), "v": self.encode(value.value)}
        if _plain_json(value):
            return value if not isinstance(value, dict | list) else {"$j": value}
        if isinstance(value, list):
            return [self.encode(item) for item in value]
        if isinstance(value, tuple) and not hasattr(value, "_fields"):
            return {"$t": [self.encode(item) for item in value]}
        if isinstance(value, set | frozenset):
            items = sorted((self.encode(item) for item in value), key=repr)
            return {"$fs" if isinstance(value, frozenset) else "$s": items}
        if type(value) is dict:
            return {"$d": [[self.encode(k), self.encode(v)] for k, v in value.items()]}
        if isinstance(value, BaseModel):
            return self._model(value)
        if isinstance(value, Origin):
            return {"$o": [self._file(value.located), self.encode(value.path)]}
        if isinstance(value, Renderer):
            return {"$r": [value.source, sorted(value.facts), value.markdown]}
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            return self._dataclass(value)
        return self._scalar(value)

    def _scalar(self, value: object) -> Json:
        if isinstance(value, Decimal):
            return {"$dec": str(value)}
        if isinstance(value, datetime):
            return {"$dt": value.isoformat()}
        if isinstance(value, date):
            return {"$date": value.isoformat()}
        if isinstance(value, timedelta):
            return {"$td": [value.days, value.seconds, value.microseconds]}
        if isinstance(value, float):
            return {"$f": repr(value)}
        pattern = getattr(value, "pattern", None)
        options = getattr(value, "options", None)
        if type(value).__module__ == "re2" and isinstance(pattern, str) and options is not None:
            return {"$re": [pattern, bool(options.case_sensitive)]}
        raise CacheFormatError(f"cannot cache a {type(value).__module__}.{type(value).__name__}")

    def _class(self, kind: type) -> int:
        index = self._class_index.get(kind)
        if index is None:
            index = self._class_index[kind] = len(self.classes)
            self.classes.append(_class_key(kind))
        return index

    def _model(self, model: BaseModel) -> Json:
        if model.__pydantic_private__ or model.__pydantic_extra__:
            raise CacheFormatError(f"cannot cache {type(model).__name__}: private or extra data")
        values: dict[str, Json] = {}
        for name, info in type(model).model_fields.items():
            value = getattr(model, name)
            # A field at its default is left out: model_construct puts the default back.
            if info.is_required() or value != info.get_default(call_default_factory=True):
                values[name] = self.encode(value)
        return {"$m": self._class(type(model)), "v": values, "set": sorted(model.model_fields_set)}

    def _dataclass(self, value: DataclassInstance) -> Json:
        fields = dataclasses.fields(value)
        if any(not f.init for f in fields):
            raise CacheFormatError(f"cannot cache {type(value).__name__}: a field outside init")
        values = {f.name: self.encode(getattr(value, f.name)) for f in fields}
        return {"$c": self._class(type(value)), "v": values}

    def _file(self, located: Located) -> int:
        index = self._files.get(located.file)
        if index is None:
            raise CacheFormatError(f"an origin in {located.file}, which is not a KB file")
        return index


class LazyLocated(Located):
    """A KB file's located data, read again from the file only when a problem is placed in it.

    Its display name is known at once; the data, lines and marks (lint and ``kb test`` read
    them, a diagnosis never does) come from parsing the file on first use. The cache key covers
    the file's bytes, so this is the parse the cache stood in for.
    """

    def __init__(self, path: Path, display: str) -> None:
        object.__setattr__(self, "file", display)
        object.__setattr__(self, "_path", path)

    def __getattr__(self, name: str) -> object:
        if name not in ("data", "lines", "marks"):
            raise AttributeError(name)
        path: Path = object.__getattribute__(self, "_path")
        try:
            loaded = load_yaml_file(path, self.file)
            data, lines, marks = loaded.data, loaded.lines, loaded.marks
        except (KnowledgeBaseError, OSError):  # the file went away since: locate at 1:1
            data, lines, marks = None, (), {}
        object.__setattr__(self, "data", data)
        object.__setattr__(self, "lines", lines)
        object.__setattr__(self, "marks", marks)
        return getattr(self, name)


_IMMUTABLE = (type(None), str, int, float, bool, tuple, frozenset)


def _static_defaults(kind: type[BaseModel]) -> tuple[dict[str, object]] | tuple[()]:
    """Every field's default, when all are immutable and the class has no private data.

    Otherwise () (and model_construct is used for that class).
    """
    if kind.__private_attributes__ or kind.model_config.get("extra") == "allow":
        return ()
    defaults: dict[str, object] = {}
    for name, info in kind.model_fields.items():
        if info.is_required():
            continue
        value = info.get_default(call_default_factory=True)
        if not isinstance(value, _IMMUTABLE) or (
            isinstance(value, tuple | frozenset) and not all(
                isinstance(item, _IMMUTABLE) for item in value)
        ):
            return ()
        defaults[name] = value
    return (defaults,)


class Decoder:
    """Tagged JSON back to objects, building only what the format allows."""

    def __init__(self, files: list[tuple[Path, str]], classes: list[Json]) -> None:
        self._located = [LazyLocated(path, display) for path, display in files]
        known = _classes()
        self._defaults: dict[type, tuple[dict[str, object]] | tuple[()]] = {}
        self._kinds = [known.get(key) if isinstance(key, str) else None for key in classes]
        self._tags: dict[str, Callable[[dict[str, Json]], object]] = {
            "$j": lambda o: o["$j"],
            "$t": lambda o: tuple(self.decode(i) for i in self._list(o["$t"])),
            "$s": lambda o: {self.decode(i) for i in self._list(o["$s"])},
            "$fs": lambda o: frozenset(self.decode(i) for i in self._list(o["$fs"])),
            "$d": lambda o: {self.decode(k): self.decode(v) for k, v in self._list(o["$d"])},
            "$dec": lambda o: Decimal(self._text(o["$dec"])),
            "$dt": lambda o: datetime.fromisoformat(self._text(o["$dt"])),
            "$date": lambda o: date.fromisoformat(self._text(o["$date"])),
            "$td": lambda o: timedelta(*(int(part) for part in self._list(o["$td"]))),
            "$f": lambda o: float(self._text(o["$f"])),
            "$re": lambda o: compile_pattern(
                self._text(o["$re"][0]), case_sensitive=o["$re"][1] is True
            ),
            "$r": lambda o: Renderer.checked(
                self._text(o["$r"][0]), frozenset(self._text(f) for f in o["$r"][1]),
                markdown=self._list(o["$r"])[2] is True,
            ),
            "$o": lambda o: Origin(self._located[o["$o"][0]], self._path(o["$o"][1])),
            "$e": lambda o: self._kind(o["$e"], enum.Enum)(self.decode(o["v"])),
            "$m": self._model,
            "$c": self._dataclass,
        }

    def decode(self, value: Json) -> object:
        """The object ``value`` encodes.

        Raises:
            CacheFormatError: anything outside the format (the caller rebuilds).
        """
        if value is None or isinstance(value, str | bool | int | float):
            return value
        if isinstance(value, list):
            return [self.decode(item) for item in value]
        if not isinstance(value, dict) or not value:
            raise CacheFormatError("not an encoded value")
        tag = next(iter(value))
        handler = self._tags.get(tag)
        if handler is None:
            raise CacheFormatError(f"unknown tag {tag[:20]!r}")
        try:
            return handler(value)
        except CacheFormatError:
            raise
        except (KeyError, IndexError, TypeError, ValueError, AttributeError) as error:
            raise CacheFormatError(f"bad {tag}: {type(error).__name__}") from error

    def _model(self, value: dict[str, Json]) -> BaseModel:
        kind: type[BaseModel] = self._kind(value["$m"], BaseModel)
        fields = {name: self.decode(item) for name, item in value["v"].items()}
        if not fields.keys() <= kind.model_fields.keys():
            raise CacheFormatError(f"fields of {kind.__name__} changed")
        fields_set = {self._text(name) for name in self._list(value["set"])}
        defaults = self._defaults.get(kind)
        if defaults is None:
            defaults = self._defaults[kind] = _static_defaults(kind)
        if not defaults:
            return kind.model_construct(_fields_set=fields_set, **fields)
        # What model_construct does, with the defaults looked up once per class rather than
        # once per field of every object (most of a cached load's time otherwise).
        model = kind.__new__(kind)
        object.__setattr__(model, "__dict__", {**defaults[0], **fields})
        object.__setattr__(model, "__pydantic_fields_set__", fields_set)
        object.__setattr__(model, "__pydantic_extra__", None)
        object.__setattr__(model, "__pydantic_private__", None)
        return model

    def _dataclass(self, value: dict[str, Json]) -> object:
        kind = self._kind(value["$c"], object)
        if not dataclasses.is_dataclass(kind) or not isinstance(kind, type):
            raise CacheFormatError("not a dataclass")
        fields = {name: self.decode(item) for name, item in value["v"].items()}
        return kind(**fields)

    def _kind(self, index: Json, base: type[_T]) -> type[_T]:
        kind = self._kinds[index] if type(index) is int and 0 <= index < len(self._kinds) else None
        if kind is None or not issubclass(kind, base):
            raise CacheFormatError(f"class not allowed: {str(index)[:80]!r}")
        return kind

    def _path(self, value: Json) -> tuple[str | int, ...]:
        path = self.decode(value)
        if not isinstance(path, tuple) or not all(isinstance(p, str | int) for p in path):
            raise CacheFormatError("an origin's key path is not a tuple of keys")
        return path

    @staticmethod
    def _list(value: Json) -> list[Json]:
        if not isinstance(value, list):
            raise CacheFormatError("expected a list")
        return value

    @staticmethod
    def _text(value: Json) -> str:
        if not isinstance(value, str):
            raise CacheFormatError("expected a string")
        return value
