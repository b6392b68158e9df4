"""Cursor pagination: ``?limit=N&after=<last id>`` until ``has_more`` is false.

``list()`` returns a pager rather than a page so that ``for v in pyai.voice.clones.list()``
sees every object, fetching pages lazily as the loop advances (a tenant may have
thousands of clones); ``.pages()`` and ``.first_page()`` are there when a caller wants
the page boundaries, e.g. to render one screen at a time.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any, Generic, TypeVar

from pyai.types import Page

__all__ = ["AsyncPager", "SyncPager", "parse_page"]

T = TypeVar("T")


def parse_page(body: Any, parse_item: Callable[[dict[str, Any]], T]) -> Page[T]:
    """Read the contract's list envelope ``{"object": "list", "data", "has_more"}``."""
    if not isinstance(body, dict) or not isinstance(body.get("data"), list):
        raise ValueError(f"expected a list object, got {type(body).__name__}")
    return Page(data=[parse_item(item) for item in body["data"]], has_more=bool(body.get("has_more")))


class SyncPager(Generic[T]):
    """Iterates every item across pages; each page is fetched when the loop reaches it."""

    def __init__(self, fetch: Callable[[str | None], Page[T]], after: str | None = None) -> None:
        self._fetch = fetch
        self._after = after

    def first_page(self) -> Page[T]:
        return self._fetch(self._after)

    def pages(self) -> Iterator[Page[T]]:
        after = self._after
        while True:
            page = self._fetch(after)
            yield page
            after = page.next_cursor
            if after is None:
                return

    def __iter__(self) -> Iterator[T]:
        for page in self.pages():
            yield from page.data


class AsyncPager(Generic[T]):
    """The async twin of :class:`SyncPager`: ``async for item in pager``."""

    def __init__(self, fetch: Callable[[str | None], Awaitable[Page[T]]], after: str | None = None) -> None:
        self._fetch = fetch
        self._after = after

    async def first_page(self) -> Page[T]:
        return await self._fetch(self._after)

    async def pages(self) -> AsyncIterator[Page[T]]:
        after = self._after
        while True:
            page = await self._fetch(after)
            yield page
            after = page.next_cursor
            if after is None:
                return

    async def __aiter__(self) -> AsyncIterator[T]:
        async for page in self.pages():
            for item in page.data:
                yield item
