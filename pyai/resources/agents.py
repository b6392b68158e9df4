"""``pyai.agents``: Agent Builder agents (``/v1/agents``)."""

from __future__ import annotations

from typing import Any, Final
from urllib.parse import quote

from pyai._transport import AsyncTransport, RequestOptions, SyncTransport
from pyai.pagination import AsyncPager, SyncPager, parse_page
from pyai.types import Agent, DeletedObject, Page

__all__ = ["NOT_GIVEN", "Agents", "AsyncAgents"]

_AGENTS = "/v1/agents"


class _NotGiven:
    """Marks an omitted ``update`` argument, so that ``None`` can mean "clear it"."""

    def __repr__(self) -> str:
        return "NOT_GIVEN"

    def __bool__(self) -> bool:
        return False


NOT_GIVEN: Final = _NotGiven()


def _item_path(agent_id: str) -> str:
    if not agent_id:
        raise ValueError("agent_id must be a non-empty string")
    return f"{_AGENTS}/{quote(agent_id, safe='')}"


def _body(fields: dict[str, Any], extra_body: dict[str, Any] | None) -> dict[str, Any]:
    # extra_body first: explicit keyword arguments win over a --json-body document.
    body = dict(extra_body or {})
    body.update({k: v for k, v in fields.items() if v is not NOT_GIVEN})
    return body


def _create_options(fields: dict[str, Any], extra_body: dict[str, Any] | None) -> RequestOptions:
    # None means "let the server pick its default", so it is left out on create.
    return RequestOptions("POST", _AGENTS, json=_body({k: v for k, v in fields.items() if v is not None}, extra_body))


def _update_options(agent_id: str, fields: dict[str, Any], extra_body: dict[str, Any] | None) -> RequestOptions:
    # A PATCH that sets fields to given values is idempotent in effect: safe to retry.
    return RequestOptions("PATCH", _item_path(agent_id), json=_body(fields, extra_body), idempotent=True)


def _list_options(limit: int, after: str | None) -> RequestOptions:
    params: dict[str, Any] = {"limit": limit}
    if after:
        params["after"] = after
    return RequestOptions("GET", _AGENTS, params=params)


class Agents:
    def __init__(self, transport: SyncTransport) -> None:
        self._t = transport

    def create(
        self,
        *,
        name: str,
        voice: str | None = None,
        greeting: str | None = None,
        instructions: str | None = None,
        knowledge: str | None = None,
        responder: dict[str, Any] | None = None,
        turn_detection: dict[str, Any] | None = None,
        extra_body: dict[str, Any] | None = None,
    ) -> Agent:
        """Create an agent; omitted fields take the server's defaults.

        ``voice`` must be a stock id or a ready clone of the same tenant (the server
        checks). ``knowledge`` is text the embedded responder answers questions from.
        ``extra_body`` carries fields newer than this SDK.
        """
        fields = {
            "name": name,
            "voice": voice,
            "greeting": greeting,
            "instructions": instructions,
            "knowledge": knowledge,
            "responder": responder,
            "turn_detection": turn_detection,
        }
        return Agent.from_dict(self._t.request_json(_create_options(fields, extra_body)))

    def get(self, agent_id: str) -> Agent:
        return Agent.from_dict(self._t.request_json(RequestOptions("GET", _item_path(agent_id))))

    def list(self, *, limit: int = 20, after: str | None = None) -> SyncPager[Agent]:
        def fetch(cursor: str | None) -> Page[Agent]:
            return parse_page(self._t.request_json(_list_options(limit, cursor)), Agent.from_dict)

        return SyncPager(fetch, after)

    def update(
        self,
        agent_id: str,
        *,
        name: Any = NOT_GIVEN,
        voice: Any = NOT_GIVEN,
        greeting: Any = NOT_GIVEN,
        instructions: Any = NOT_GIVEN,
        knowledge: Any = NOT_GIVEN,
        responder: Any = NOT_GIVEN,
        turn_detection: Any = NOT_GIVEN,
        extra_body: dict[str, Any] | None = None,
    ) -> Agent:
        """Change only the given fields (PATCH). A new ``voice`` applies from the next session."""
        fields = {
            "name": name,
            "voice": voice,
            "greeting": greeting,
            "instructions": instructions,
            "knowledge": knowledge,
            "responder": responder,
            "turn_detection": turn_detection,
        }
        return Agent.from_dict(self._t.request_json(_update_options(agent_id, fields, extra_body)))

    def delete(self, agent_id: str) -> DeletedObject:
        return DeletedObject.from_dict(self._t.request_json(RequestOptions("DELETE", _item_path(agent_id))))


class AsyncAgents:
    """The async twin of :class:`Agents`."""

    def __init__(self, transport: AsyncTransport) -> None:
        self._t = transport

    async def create(
        self,
        *,
        name: str,
        voice: str | None = None,
        greeting: str | None = None,
        instructions: str | None = None,
        knowledge: str | None = None,
        responder: dict[str, Any] | None = None,
        turn_detection: dict[str, Any] | None = None,
        extra_body: dict[str, Any] | None = None,
    ) -> Agent:
        fields = {
            "name": name,
            "voice": voice,
            "greeting": greeting,
            "instructions": instructions,
            "knowledge": knowledge,
            "responder": responder,
            "turn_detection": turn_detection,
        }
        return Agent.from_dict(await self._t.request_json(_create_options(fields, extra_body)))

    async def get(self, agent_id: str) -> Agent:
        return Agent.from_dict(await self._t.request_json(RequestOptions("GET", _item_path(agent_id))))

    def list(self, *, limit: int = 20, after: str | None = None) -> AsyncPager[Agent]:
        async def fetch(cursor: str | None) -> Page[Agent]:
            return parse_page(await self._t.request_json(_list_options(limit, cursor)), Agent.from_dict)

        return AsyncPager(fetch, after)

    async def update(
        self,
        agent_id: str,
        *,
        name: Any = NOT_GIVEN,
        voice: Any = NOT_GIVEN,
        greeting: Any = NOT_GIVEN,
        instructions: Any = NOT_GIVEN,
        knowledge: Any = NOT_GIVEN,
        responder: Any = NOT_GIVEN,
        turn_detection: Any = NOT_GIVEN,
        extra_body: dict[str, Any] | None = None,
    ) -> Agent:
        fields = {
            "name": name,
            "voice": voice,
            "greeting": greeting,
            "instructions": instructions,
            "knowledge": knowledge,
            "responder": responder,
            "turn_detection": turn_detection,
        }
        return Agent.from_dict(await self._t.request_json(_update_options(agent_id, fields, extra_body)))

    async def delete(self, agent_id: str) -> DeletedObject:
        body = await self._t.request_json(RequestOptions("DELETE", _item_path(agent_id)))
        return DeletedObject.from_dict(body)
