"""Typed result objects.

Dataclasses rather than raw dicts so editors complete ``voice.status`` and typos fail
loudly. They are deliberately tolerant: API.md says objects "may be extended", so a
field this SDK version does not know lands in ``extra`` (and is still reachable as an
attribute) instead of breaking the parse, and a missing field reads as ``None``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, TypeVar

from api_contract import QualityValues
from pyai.failures import fix_for

__all__ = ["Agent", "DeletedObject", "Page", "Voice", "VoiceFailure", "VoiceQuality"]

_M = TypeVar("_M", bound="_Model")
T = TypeVar("T")


@dataclass(kw_only=True)
class _Model:
    """Shared parsing: known fields by name, everything else into ``extra``."""

    extra: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    _nested: ClassVar[dict[str, type[_Model]]] = {}

    @classmethod
    def from_dict(cls: type[_M], data: dict[str, Any]) -> _M:
        names = {f.name for f in dataclasses.fields(cls)} - {"extra"}
        kwargs: dict[str, Any] = {}
        extra: dict[str, Any] = {}
        for key, value in data.items():
            if key in names:
                nested = cls._nested.get(key)
                if nested is not None and isinstance(value, dict):
                    value = nested.from_dict(value)
                kwargs[key] = value
            else:
                extra[key] = value
        return cls(**kwargs, extra=extra)

    def to_dict(self) -> dict[str, Any]:
        """The object as JSON-ready data, unknown fields included (for ``--json``)."""
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            if f.name == "extra":
                continue
            value = getattr(self, f.name)
            out[f.name] = value.to_dict() if isinstance(value, _Model) else value
        out.update(self.extra)
        return out

    def __getattr__(self, name: str) -> Any:
        # Only reached when normal lookup fails: expose fields newer servers add.
        if name.startswith("__"):
            raise AttributeError(name)
        extra = self.__dict__.get("extra") or {}
        if name in extra:
            return extra[name]
        raise AttributeError(f"{type(self).__name__!s} has no attribute {name!r}")


@dataclass(kw_only=True)
class VoiceQuality(_Model, QualityValues):
    """What the quality gate measured on the reference clip (API.md's ``quality``); the
    fields are the contract's (:class:`api_contract.QualityValues`), shared with the server."""


@dataclass(kw_only=True)
class VoiceFailure(_Model):
    """Why enrollment failed: a stable ``code`` and a message a person can act on."""

    code: str = ""
    message: str = ""
    # Which measurement decided: {"measure": quality field, "value": measured, "limit": threshold}.
    evidence: dict[str, Any] | None = None

    @property
    def fix(self) -> str | None:
        """The guide's advice for this code: the server's, else this SDK's (None for a code
        newer than this SDK from a server that sends none)."""
        sent = self.extra.get("fix")
        return sent if isinstance(sent, str) and sent else fix_for(self.code)


@dataclass(kw_only=True)
class Voice(_Model):
    """A cloned voice. ``failure`` is None unless ``status == "failed"``."""

    id: str
    object: str = "voice"
    name: str = ""
    status: str = "pending"
    created_at: int | None = None
    language: str | None = None
    failure: VoiceFailure | None = None
    quality: VoiceQuality | None = None

    _nested: ClassVar[dict[str, type[_Model]]] = {"failure": VoiceFailure, "quality": VoiceQuality}

    @property
    def done(self) -> bool:
        """Enrollment has finished (ready or failed); polling can stop."""
        return self.status in ("ready", "failed")


@dataclass(kw_only=True)
class Agent(_Model):
    """An Agent Builder agent.

    ``responder`` and ``turn_detection`` stay plain dicts: their shape is server
    configuration that grows over time, and a dict round-trips unchanged into
    :meth:`pyai.resources.agents.Agents.update`.
    """

    id: str
    object: str = "agent"
    name: str = ""
    voice: str | None = None
    greeting: str | None = None
    instructions: str | None = None
    knowledge: str | None = None
    responder: dict[str, Any] | None = None
    turn_detection: dict[str, Any] | None = None
    created_at: int | None = None
    # "ready", "pending", "failed", or "deleted" (the clone was deleted after it was chosen).
    voice_status: str | None = None


@dataclass(kw_only=True)
class DeletedObject(_Model):
    """Answer of a DELETE: ``{"id", "object", "deleted": true}``."""

    id: str
    object: str = ""
    deleted: bool = True


@dataclass
class Page(Generic[T]):
    """One page of a cursor-paginated list (``{"object": "list", "data", "has_more"}``)."""

    data: list[T]
    has_more: bool = False

    @property
    def next_cursor(self) -> str | None:
        """The ``after`` value for the next page, or None when this is the last."""
        if not self.has_more or not self.data:
            return None
        return str(getattr(self.data[-1], "id"))  # noqa: B009 - T is any model with an id
