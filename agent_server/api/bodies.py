"""A JSON body checked against its schema (:mod:`agent_server.api.schemas`), or the 400
the contract promises: a code, a message a person can act on, and ``param`` naming the
field, as ``'turn_detection.threshold'`` for a nested one.

Unknown fields are reported first, all of them, since a misspelt field name is the
likeliest mistake; otherwise the first error in field order.
"""

from __future__ import annotations

import types
from typing import Annotated, Any, TypeVar, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails

from agent_server.api.schemas import Refusal
from agent_server.errors import BadRequest

B = TypeVar("B", bound=BaseModel)

_KINDS = {"string_type": "a string", "int_type": "an integer", "float_type": "a number", "bool_type": "true or false",
          "dict_type": "an object", "model_type": "an object", "model_attributes_type": "an object",
          "list_type": "a list", "int_from_float": "an integer"}


def parse(model: type[B], body: dict[str, Any], *, at: str = "") -> B:
    """``body`` as ``model``; ``at`` is where the body sits in a larger one (``param`` prefix)."""
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        raise refusal(model, exc, at) from None


def refusal(model: type[BaseModel], exc: ValidationError, at: str = "") -> BadRequest:
    errors = exc.errors(include_url=False)
    prefix = [at] if at else []
    unknown = [".".join(map(str, [*prefix, *e["loc"]])) for e in errors if e["type"] == "extra_forbidden"]
    if unknown:
        return BadRequest(f"Unknown field(s): {', '.join(unknown)}.", param=unknown[0])
    err = errors[0]
    loc = [str(p) for p in err["loc"] if not isinstance(p, int)]
    param = ".".join([*prefix, *loc])
    info = _field(model, loc)
    rule = _refusal_of(info) if info is not None else None
    rule = rule or Refusal()
    code = rule.codes.get(err["type"], rule.code)
    if rule.message is not None and err["type"] not in rule.codes:
        return BadRequest(rule.message.format(input=err.get("input")), param=param, code=code)
    return BadRequest(_generic(param, err, info) + rule.hint, param=param, code=code)


def _generic(param: str, err: ErrorDetails, info: FieldInfo | None) -> str:
    kind, ctx, value = err["type"], err.get("ctx") or {}, err.get("input")
    if kind == "missing":
        return f"'{param}' is required."
    if kind == "string_too_long":
        return f"'{param}' is {len(value)} characters; the maximum is {ctx.get('max_length')}."
    if kind in ("string_too_short", "value_error"):
        return f"'{param}' must not be empty."
    if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        lo, hi = _bounds(info)
        if lo is not None and hi is not None:
            return f"'{param}' must be a number between {lo} and {hi}."
        return f"'{param}' {err['msg'].lower().replace('input should be', 'must be')}."
    if kind == "literal_error":
        return f"'{param}' must be one of {ctx.get('expected')}."
    if kind in _KINDS:
        return f"'{param}' must be {_KINDS[kind]}."
    return f"'{param}': {err['msg']}."


def _field(model: type[BaseModel], loc: list[str]) -> FieldInfo | None:
    """The field at ``loc``, walking into nested models."""
    current: type[BaseModel] | None = model
    info = None
    for name in loc:
        if current is None or name not in current.model_fields:
            return None
        info = current.model_fields[name]
        current = _nested_model(info.annotation)
    return info


def _nested_model(tp: Any) -> type[BaseModel] | None:
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return tp
    if get_origin(tp) in (Union, types.UnionType, Annotated):
        for arg in get_args(tp):
            found = _nested_model(arg)
            if found is not None:
                return found
    return None


def _metadata(info: FieldInfo) -> list[Any]:
    """The field's own metadata and that of Annotated types inside its union."""
    out = list(info.metadata)
    stack: list[Any] = [info.annotation]
    while stack:
        tp = stack.pop()
        if get_origin(tp) is Annotated:
            out += list(getattr(tp, "__metadata__", ()))
        if get_origin(tp) in (Union, types.UnionType, Annotated):
            stack += get_args(tp)
    return out


def _refusal_of(info: FieldInfo) -> Refusal | None:
    return next((m for m in _metadata(info) if isinstance(m, Refusal)), None)


def _bounds(info: FieldInfo | None) -> tuple[Any, Any]:
    lo = hi = None
    for m in _metadata(info) if info is not None else []:
        lo = getattr(m, "ge", getattr(m, "gt", lo))
        hi = getattr(m, "le", getattr(m, "lt", hi))
    return lo, hi
