"""ipywidgets panels for wskit: connect, compose, watch, steer, and try serializers.

``import wskit`` does not import ipywidgets; ``import wskit.widgets`` does.
The panels only observe transports (through their event bus) and call their
public methods; they hold no protocol logic. Every callback is synchronous
and schedules its coroutine with :func:`wskit.runtime.spawn`; failures show
inside the panel, never on stdout.

Every panel draws its badge from one of five states, so a colour means the
same everywhere (and keeps 4.5:1 text contrast in light and dark themes):

* ``idle`` (grey): nothing open — "not connected", "stopped";
* ``busy`` (orange): on the way or held — "connecting", "closing", "reconnecting 2/5", "stalled";
* ``open`` (green): "open", "listening", "forwarding";
* ``closed`` (blue): a connection that *was* open has closed — "closed 4001
  'tour over'" (not for "not connected": that is ``idle``);
* ``failed`` (red): "failed", with the error on the status line.

A panel's row of buttons is a public ``HBox`` other tools may extend:
:attr:`EventLog.actions` (``Clear``, ``Export JSON``, ``Export HAR``, ``Save
session``; add one with ``log.actions.children += (button,)``).
"""

from ._client import ClientPanel
from ._composer import Composer
from ._eventlog import EventLog
from ._link import LinkPanel
from ._serializer_lab import SerializerLab
from .server import ServerPanel

__all__ = ["ClientPanel", "Composer", "EventLog", "LinkPanel", "SerializerLab", "ServerPanel"]
