"""Events <-> JSON-able dicts for storage, keyed by each event's `event` name.

The conversion is generic over dataclass fields and their type hints, so a
field added to an event (or to the nested AuctionSpec) keeps working without
touching this module: a field with a default that is missing from an old
stored record takes its default, and a stored key the class no longer has is
ignored. Private events (AutoBidSet, ...) are stored like public ones.

A stored event is a row of `events`: the envelope columns (`auction_id`,
`version`, `seq`, `type`, `at`) plus `data`, the remaining fields.
"""

from __future__ import annotations

import dataclasses
import enum
import sys
import types
import typing
from collections.abc import Mapping
from typing import Any

import orjson

from auctioneer.engine.events import Event

__all__ = [
    "ENVELOPE_FIELDS",
    "decode_value",
    "dumps",
    "encode_value",
    "event_class",
    "event_data",
    "event_from_dict",
    "event_from_row",
    "event_to_dict",
    "event_types",
    "loads",
]

# The fields every event has, stored as their own columns.
ENVELOPE_FIELDS = ("auction_id", "version", "seq", "at")

_registry: dict[str, type[Event]] = {}
_hints: dict[type[Any], dict[str, Any]] = {}
_data_names: dict[type[Event], tuple[str, ...]] = {}  # per class: the fields of `data`


def dumps(value: Any) -> bytes:
    """The one JSON encoder of the store (orjson)."""
    return orjson.dumps(value)


def loads(data: bytes | str) -> Any:
    return orjson.loads(data)


def _subclasses(cls: type[Event]) -> list[type[Event]]:
    found: list[type[Event]] = []
    for sub in cls.__subclasses__():
        found.append(sub)
        found.extend(_subclasses(sub))
    return found


def _is_current(cls: type[Event]) -> bool:
    """False for the class a `slots=True` dataclass decorator replaced: it lingers
    in `__subclasses__` though its module now names the new class."""
    module = sys.modules.get(cls.__module__)
    named = getattr(module, cls.__qualname__, cls) if module is not None else cls
    return named is cls


def _rebuild_registry() -> None:
    registry: dict[str, type[Event]] = {}
    for cls in _subclasses(Event):
        if not cls.event or not _is_current(cls):
            continue
        other = registry.get(cls.event)
        if other is not None and other is not cls:
            raise TypeError(f"event name {cls.event!r} used by {other.__name__} and {cls.__name__}")
        registry[cls.event] = cls
    _registry.clear()
    _registry.update(registry)


def event_types() -> dict[str, type[Event]]:
    """Every concrete event class by its `event` name (public and private)."""
    _rebuild_registry()
    return dict(_registry)


def event_class(name: str) -> type[Event]:
    """The event class stored under `name`.

    Raises:
        KeyError: no event class has that name.
    """
    cls = _registry.get(name)
    if cls is None:
        _rebuild_registry()  # an event class defined after the first lookup
        cls = _registry.get(name)
    if cls is None:
        raise KeyError(f"unknown event type {name!r}")
    return cls


def _type_hints(cls: type[Any]) -> dict[str, Any]:
    hints = _hints.get(cls)
    if hints is None:
        hints = typing.get_type_hints(cls)
        _hints[cls] = hints
    return hints


# -- encoding -------------------------------------------------------------------


_PLAIN = frozenset({type(None), bool, int, float, str})


def encode_value(value: Any) -> Any:
    """A JSON-able form of a field value: dataclasses become dicts, enums their
    values, tuples and frozensets lists."""
    if type(value) in _PLAIN:  # the usual field: as it is (enums are subclasses, not these)
        return value
    if value is None or isinstance(value, bool | int | float | str):
        if isinstance(value, enum.Enum):
            return value.value
        return value
    if isinstance(value, enum.Enum):
        return encode_value(value.value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: encode_value(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, frozenset | set):
        items = [encode_value(v) for v in value]
        try:
            return sorted(items)
        except TypeError:
            return items
    if isinstance(value, list | tuple):
        return [encode_value(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): encode_value(v) for k, v in value.items()}
    raise TypeError(f"cannot store a value of type {type(value).__name__}")


def _data_fields(cls: type[Event]) -> tuple[str, ...]:
    names = _data_names.get(cls)
    if names is None:
        names = tuple(f.name for f in dataclasses.fields(cls) if f.name not in ENVELOPE_FIELDS)
        _data_names[cls] = names
    return names


def event_data(event: Event) -> dict[str, Any]:
    """The `data` column of an event: every field but the envelope ones."""
    return {name: encode_value(getattr(event, name)) for name in _data_fields(type(event))}


def event_to_dict(event: Event) -> dict[str, Any]:
    """The whole event as a JSON-able dict, with its name under `type`."""
    out: dict[str, Any] = {"type": event.event}
    for f in dataclasses.fields(event):
        out[f.name] = encode_value(getattr(event, f.name))
    return out


# -- decoding -------------------------------------------------------------------


def decode_value(hint: Any, value: Any) -> Any:
    """Rebuild a field value of type `hint` from its JSON-able form."""
    if hint is Any:
        return value
    origin = typing.get_origin(hint)
    if origin is typing.Union or origin is types.UnionType:
        args = typing.get_args(hint)
        if value is None:
            return None
        non_none = [a for a in args if a is not type(None)]
        if len(non_none) == 1:
            return decode_value(non_none[0], value)
        for arg in non_none:  # the first member the value fits
            try:
                return decode_value(arg, value)
            except (TypeError, ValueError, KeyError):
                continue
        return value
    if origin is typing.ClassVar:
        return value
    if origin in (tuple, list, frozenset, set):
        args = typing.get_args(hint)
        if origin is tuple and args and not (len(args) == 2 and args[1] is Ellipsis):
            return tuple(decode_value(a, v) for a, v in zip(args, value, strict=True))
        item = args[0] if args else Any
        items = [decode_value(item, v) for v in value]
        return origin(items)
    if origin is dict or origin is Mapping:
        args = typing.get_args(hint)
        item = args[1] if len(args) == 2 else Any
        return {k: decode_value(item, v) for k, v in value.items()}
    if isinstance(hint, type):
        if value is None:
            return None
        if issubclass(hint, enum.Enum):
            return hint(value)
        if dataclasses.is_dataclass(hint):
            return _decode_dataclass(hint, value)
        if hint is float and isinstance(value, int):
            return float(value)
    return value


def _decode_dataclass(cls: type[Any], data: Mapping[str, Any]) -> Any:
    hints = _type_hints(cls)
    kwargs = {
        f.name: decode_value(hints.get(f.name, Any), data[f.name])
        for f in dataclasses.fields(cls)
        if f.init and f.name in data
    }
    return cls(**kwargs)


def event_from_row(
    type_name: str,
    *,
    auction_id: int,
    version: int,
    seq: int | None,
    at: int,
    data: Mapping[str, Any],
) -> Event:
    """Rebuild an event from a stored row.

    Raises:
        KeyError: unknown event type.
        TypeError: the data lacks a required field.
    """
    cls = event_class(type_name)
    fields = dict(data)
    fields.update(auction_id=auction_id, version=version, seq=seq, at=at)
    event: Event = _decode_dataclass(cls, fields)
    return event


def event_from_dict(record: Mapping[str, Any]) -> Event:
    """The inverse of `event_to_dict`."""
    cls = event_class(record["type"])
    event: Event = _decode_dataclass(cls, record)
    return event
