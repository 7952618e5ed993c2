"""The locustfile ``wskit load`` runs; the same file drives a run across machines.

One user class, :class:`VoiceCaller`, an :class:`~wskit.load.AudioStreamUser`
set entirely from the command line: ``--host`` (the WebSocket URL),
``--source``, ``--serializer``, ``--frame-ms``, and the thresholds
``--max-p99-ms``, ``--max-lost``, ``--max-jitter-ms``. Its path is
``wskit.load.LOCUSTFILE``::

    locust -f "$(python -c 'import wskit.load; print(wskit.load.LOCUSTFILE)')" --master ...
"""

from wskit.load import AudioStreamUser


class VoiceCaller(AudioStreamUser):
    """Streams ``--source`` through ``--serializer`` to ``--host``, one connection per user."""
