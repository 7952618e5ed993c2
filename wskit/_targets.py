"""What an observer is pointed at: a transport, or one connection of a transport.

The event log, the recorder, the scope and the wire tap all take "a transport
or a ``Connection``" and listen on the transport's event bus, keeping only one
connection's events when given a connection. They find the bus and the role
here, by what the object offers (a leaf: no import of the transports, which
sit above everything that observes them).
"""

from __future__ import annotations

from typing import Any, Literal

__all__ = ["owner_of", "role_of"]


def owner_of(target: Any) -> tuple[Any, Any]:
    """``(transport, connection or None)`` for a transport or a connection.

    A transport is what has an event bus (``.events``); a connection is what
    belongs to one (``.transport.events``). ``wskit.runtime`` counts as a
    transport: its bus carries failures of background tasks.

    Raises:
        TypeError: ``target`` is neither.
    """
    if hasattr(target, "events"):
        return target, None
    owner = getattr(target, "transport", None)
    if owner is not None and hasattr(owner, "events"):
        return owner, target
    raise TypeError(f"expected a transport or a Connection, not {type(target).__name__}")


def role_of(source: object) -> Literal["server", "client"] | None:
    """``"server"`` or ``"client"`` for a transport (its ``role``), ``None`` for anything else."""
    role = getattr(source, "role", None)
    if role == "server":
        return "server"
    if role == "client":
        return "client"
    return None
