"""ipywidgets panels for wskit: connect, compose, watch, steer, and try serializers.

``import wskit`` does not import ipywidgets; ``import wskit.widgets`` does.
The panels only observe transports (through their event bus) and call their
public methods; they hold no protocol logic. Every callback is synchronous
and schedules its coroutine with :func:`wskit.runtime.spawn`; failures show
inside the panel, never on stdout.
"""

from ._client import ClientPanel
from ._composer import Composer
from ._eventlog import EventLog
from ._serializer_lab import SerializerLab
from .server import ServerPanel

__all__ = ["ClientPanel", "Composer", "EventLog", "SerializerLab", "ServerPanel"]
