"""Running inside whatever event loop is (or is not) running.

A notebook cell already runs inside ipykernel's asyncio loop, a script has no
loop until ``asyncio.run``, a test has pytest's. This module lets the rest of
wskit not care:

* :func:`spawn` starts background work on the running loop, keeps a strong
  reference (``asyncio.create_task`` keeps only a weak one) and reports every
  exception as a log record and an error event instead of letting it vanish.
* :func:`run_sync` is the synchronous facade for widget callbacks and plain
  cells: with no loop it drives a private, persistent loop; inside a running
  loop it applies ``nest_asyncio2`` to that loop on first need, never at import.
* A registry of live transports: re-running a cell that starts a server on a
  taken ``host:port`` stops the earlier wskit server first, and
  :func:`stop_all` stops everything wskit started.
* Re-running a notebook cell replaces what that cell started before, whatever
  the port: JupyterLab, Notebook 7 and VS Code send the cell's id with each
  execute request (``metadata["cellId"]``, which ipykernel exposes as
  ``kernel.get_parent()``). A front end that sends none (nbclient, old
  Notebook) gets one line in the cell's output instead, when the same code runs
  again while what it started before is still running.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import sys
import threading
import weakref
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, NamedTuple, Protocol, TypeVar

from .events import Event, EventBus, EventKind

__all__ = [
    "ManagedTransport",
    "events",
    "release_address",
    "run_sync",
    "spawn",
    "stop_all",
    "stop_all_async",
    "transports",
]

T = TypeVar("T")
logger = logging.getLogger("wskit")

#: Errors from background tasks that belong to no transport.
events = EventBus()

_tasks: set[asyncio.Task[Any]] = set()
_transports: set[ManagedTransport] = set()
_nested_loops: weakref.WeakSet[asyncio.AbstractEventLoop] = weakref.WeakSet()
_private_loop: asyncio.AbstractEventLoop | None = None
_home_loop: asyncio.AbstractEventLoop | None = None
_lock = threading.Lock()


class _Origin(NamedTuple):
    """The kernel request that started a transport: which cell, which run of it, what code."""

    cell: str | None  # the front end's cell id; None when it sends none
    run: str  # the execute request's msg_id: one per run of a cell
    code: str


_origins: dict[Any, _Origin] = {}
_warned_runs: set[str] = set()


class ManagedTransport(Protocol):
    """What the runtime needs from a transport to manage its lifetime."""

    @property
    def loop(self) -> asyncio.AbstractEventLoop | None: ...

    @property
    def listen_address(self) -> tuple[str, int] | None: ...

    async def stop(self, *, timeout: float = ...) -> None: ...

    def abandon(self) -> None:
        """Release sockets without the loop (its loop is closed or gone)."""


# -- background tasks -------------------------------------------------------


def spawn(
    coro: Coroutine[Any, Any, T],
    *,
    name: str | None = None,
    on_error: Callable[[BaseException], object] | None = None,
) -> asyncio.Task[T]:
    """Run ``coro`` in the background on the running loop and keep it alive.

    Args:
        coro: the coroutine to run.
        name: task name, shown in logs and error events.
        on_error: called with the exception if the task fails. Without it the
            failure is logged and emitted on :data:`events`.

    Returns:
        The task; it is held until it finishes, so it cannot be collected mid-flight.
    """
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        loop = _sync_loop()
    task = loop.create_task(coro, name=name)
    _tasks.add(task)
    task.add_done_callback(lambda t: _task_done(t, on_error))
    return task


def _task_done(task: asyncio.Task[Any], on_error: Callable[[BaseException], object] | None) -> None:
    _tasks.discard(task)
    if task.cancelled():
        return
    exc = task.exception()
    if exc is None:
        return
    if on_error is not None:
        try:
            on_error(exc)
            return
        except Exception:
            logger.exception("error reporter for task %s failed", task.get_name())
    logger.error("background task %s failed", task.get_name(), exc_info=exc)
    events.emit(Event(EventKind.ERROR, source="runtime", error=exc, info={"task": task.get_name()}))


# -- the synchronous facade --------------------------------------------------


def _sync_loop() -> asyncio.AbstractEventLoop:
    """The loop sync callers drive when none is running: the transports' own
    loop if it is idle, else a private one kept between calls so that servers
    started through it keep their state."""
    global _private_loop
    home = _home_loop
    if home is not None and not home.is_closed() and not home.is_running():
        return home
    with _lock:
        if _private_loop is None or _private_loop.is_closed():
            _private_loop = asyncio.new_event_loop()
        return _private_loop


def _ensure_nested(loop: asyncio.AbstractEventLoop) -> None:
    if loop in _nested_loops:
        return
    import nest_asyncio2  # type: ignore[import-untyped]  # imported on first need: the patch is global

    nest_asyncio2.apply(loop)
    _nested_loops.add(loop)


def run_sync(awaitable: Awaitable[T], timeout: float | None = None) -> T:
    """Wait for ``awaitable`` from synchronous code and return its result.

    * No loop running in this thread: run it on the transports' loop if that
      one is running in another thread (e.g. a kernel), else on an idle loop
      that persists between calls.
    * A loop running in this thread (a notebook cell, a widget callback): run
      it nested in that loop, which ``nest_asyncio2`` allows; the patch is
      applied the first time this happens.

    Raises:
        TimeoutError: when ``timeout`` seconds pass first.
    """

    async def bounded() -> T:
        return await asyncio.wait_for(awaitable, timeout)

    try:
        running = asyncio.get_running_loop()
    except RuntimeError:
        running = None
    if running is not None:
        _ensure_nested(running)
        return running.run_until_complete(bounded())
    home = _home_loop
    if home is not None and home.is_running():
        future: concurrent.futures.Future[T] = asyncio.run_coroutine_threadsafe(bounded(), home)
        return future.result()
    return _sync_loop().run_until_complete(bounded())


# -- transports --------------------------------------------------------------


def register(transport: ManagedTransport) -> None:
    """Hold ``transport`` until it stops; its loop becomes the home loop.

    In a notebook, transports started by an earlier run of the same cell are
    stopped (see the module docstring).
    """
    global _home_loop
    _transports.add(transport)
    if transport.loop is not None:
        _home_loop = transport.loop
    origin = _current_origin()
    if origin is not None:
        _origins[transport] = origin
        _replace_earlier_runs(transport, origin)


def unregister(transport: ManagedTransport) -> None:
    _transports.discard(transport)
    _origins.pop(transport, None)


def _current_origin() -> _Origin | None:
    """The execute request running now in a Jupyter kernel, or ``None`` (no kernel, not a cell)."""
    ipython = sys.modules.get("IPython")  # looked for, never imported: scripts have none
    shell = ipython.get_ipython() if ipython is not None else None
    kernel = getattr(shell, "kernel", None)
    if kernel is None:
        return None
    try:
        parent = kernel.get_parent()  # ipykernel: the request the running code belongs to
    except Exception:
        return None
    header = parent.get("header") or {} if isinstance(parent, dict) else {}
    if header.get("msg_type") != "execute_request" or not header.get("msg_id"):
        return None
    cell = (parent.get("metadata") or {}).get("cellId")
    code = (parent.get("content") or {}).get("code")
    return _Origin(cell if isinstance(cell, str) and cell else None, str(header["msg_id"]), str(code or ""))


def _describe(transports: list[ManagedTransport]) -> str:
    """``2 servers and 1 client``."""
    servers = sum(1 for t in transports if t.listen_address is not None)
    clients = len(transports) - servers
    parts = [f"{n} {word}{'s' if n != 1 else ''}" for n, word in ((servers, "server"), (clients, "client")) if n]
    return " and ".join(parts)


def _replace_earlier_runs(transport: ManagedTransport, origin: _Origin) -> None:
    """Stop what earlier runs of ``origin``'s cell started; without a cell id, say they still run."""
    earlier = [
        t
        for t, o in list(_origins.items())
        if t is not transport and t in _transports and o.run != origin.run
        and (o.cell == origin.cell if origin.cell is not None else o.cell is None and o.code == origin.code)
    ]  # fmt: skip
    if not earlier:
        return
    if origin.cell is not None:
        logger.info("cell %s runs again: stopping the %s it started before", origin.cell, _describe(earlier))
        for old in earlier:
            _origins.pop(old, None)
            spawn(_stop_one(old), name="wskit.runtime replace")
    elif origin.run not in _warned_runs:
        _warned_runs.add(origin.run)
        verb = "is" if len(earlier) == 1 else "are"
        print(
            f"wskit: {_describe(earlier)} from earlier runs of this cell {verb} still running (this front end "
            "sends no cell id to replace them by); wskit.stop_all() stops everything wskit started",
            flush=True,
        )


def transports() -> list[ManagedTransport]:
    """The transports wskit is running now."""
    return list(_transports)


_WILDCARDS = {"", "0.0.0.0", "::"}
_LOOPBACK = {"localhost", "127.0.0.1", "::1"}


def _same_address(a: tuple[str, int], b: tuple[str, int]) -> bool:
    (host_a, port_a), (host_b, port_b) = a, b
    if port_a != port_b:
        return False
    if host_a == host_b or host_a in _WILDCARDS or host_b in _WILDCARDS:
        return True
    return host_a in _LOOPBACK and host_b in _LOOPBACK


async def release_address(host: str, port: int, newcomer: object = None) -> list[ManagedTransport]:
    """Stop every wskit server (other than ``newcomer``) listening on ``host:port``.

    This is what makes re-running a notebook cell that starts a server on a
    fixed port replace the old server instead of failing with "address
    already in use". Port 0 never conflicts.

    Returns:
        The transports that were stopped.
    """
    if port == 0:
        return []
    stopped = []
    for other in list(_transports):
        address = other.listen_address
        if other is newcomer or address is None or not _same_address(address, (host, port)):
            continue
        logger.info("replacing the wskit server on %s:%s", *address)
        await _stop_one(other)
        stopped.append(other)
    return stopped


async def _stop_one(transport: ManagedTransport, timeout: float | None = None) -> None:
    loop = transport.loop
    current = asyncio.get_running_loop()
    stop = transport.stop() if timeout is None else transport.stop(timeout=timeout)
    try:
        if loop is None or loop is current:
            await stop
        elif loop.is_running():
            await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(stop, loop))
        else:
            stop.close()
            transport.abandon()  # its loop is closed or idle: free the sockets directly
    except Exception:
        logger.exception("stopping %r failed; abandoning it", transport)
        transport.abandon()
    finally:
        unregister(transport)


async def stop_all_async(timeout: float | None = None) -> None:
    """Stop every transport and background task wskit started.

    Transports stop concurrently, so the time taken is the slowest one's, not
    their sum; ``timeout`` is passed to each transport's ``stop`` (which
    bounds it) instead of its default.
    """
    await asyncio.gather(*(_stop_one(transport, timeout) for transport in list(_transports)))
    current = asyncio.current_task()
    pending = [t for t in _tasks if t is not current and not t.done()]
    here = asyncio.get_running_loop()
    for task in pending:
        task.cancel()
    local = [t for t in pending if t.get_loop() is here]
    if local:
        await asyncio.wait(local, timeout=5)


def stop_all(timeout: float | None = None) -> None:
    """Stop every transport and background task wskit started, and return when done.

    Synchronous, through :func:`run_sync`: callable from a plain notebook cell
    or a widget callback. In async code, ``await stop_all_async()`` instead.
    """
    run_sync(stop_all_async(timeout))
