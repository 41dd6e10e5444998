"""Domain events: how a lower domain lets a higher one take part in its use cases without
importing it (the layers point one way, down).

The lower domain defines the event (a frozen dataclass) and publishes it from inside its own
transaction; higher domains subscribe handlers at start-up (``marketplace.wiring.connect``,
called by the app, the CLI and the tests). Handlers run in the publisher's transaction, one
after the other in subscription order, so their writes commit or roll back with it; what they
return is collected for the publisher (for example the ids of the rows a handler touched, or
the companies it knows of). An exception in a handler aborts the publisher's use case.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

EventT = TypeVar("EventT")
Handler = Callable[[Any], Awaitable[Any]]

_handlers: dict[type, list[Handler]] = {}


def subscribe(event_type: type[EventT], handler: Callable[[EventT], Awaitable[Any]]) -> None:
    """Call ``handler`` for every published ``event_type`` (once, however often subscribed)."""
    handlers = _handlers.setdefault(event_type, [])
    if handler not in handlers:
        handlers.append(handler)


def subscribers(event_type: type) -> list[Handler]:
    return list(_handlers.get(event_type, []))


async def publish(event: object) -> list[Any]:
    """Run every handler of ``type(event)``; return their results in subscription order."""
    return [await handler(event) for handler in _handlers.get(type(event), [])]
