"""HAR in and out: a session captured by a browser becomes a cassette, and back.

Chrome DevTools saves a WebSocket as one HAR entry (``"_resourceType":
"websocket"``) whose ``_webSocketMessages`` list holds every data frame:
``{"type": "send" | "receive", "time": <epoch seconds>, "opcode": 1 | 2,
"data": <text, or base64 for binary>}`` (the shape of
:func:`wskit.eventlog.har_message`, which writes them here too). HAR keeps no
close frames and no pings, so a conversation read from HAR has neither.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from ..eventlog import har_log, har_message
from ._conversation import CassetteError, Conversation, Handshake, Sender, Step
from ._handshake import keep_headers, mask_query

__all__ = ["parse_har", "session_to_har"]


def parse_har(har: str | dict[str, Any], source: str) -> tuple[list[Conversation], float]:
    """The WebSocket entries of a HAR document (text or parsed) as conversations.

    Returns:
        the conversations, in the order of their entries, with times relative
        to the first one's start; and that start (epoch seconds), the
        session's ``created``.

    Raises:
        CassetteError: not JSON (with the line), not a HAR, a message that is
            not what DevTools writes (naming the entry and message), or no
            WebSocket entry at all.
    """
    __tracebackhide__ = True
    if isinstance(har, str):
        try:
            har = json.loads(har)
        except json.JSONDecodeError as exc:
            raise CassetteError(source, exc.lineno, f"not valid JSON: {exc.msg} (column {exc.colno})") from None
    log = har.get("log") if isinstance(har, dict) else None
    entries = log.get("entries") if isinstance(log, dict) else None
    if not isinstance(entries, list):
        raise CassetteError(source, None, 'not a HAR file: no {"log": {"entries": [...]}}')
    conversations: list[tuple[float, Conversation]] = []
    starts: list[float] = []
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict) or not _is_websocket(entry):
            continue
        where = f"log.entries[{index}]"
        conv, start = _conversation(entry, where, source, len(conversations) + 1)
        conversations.append((start, conv))
        starts.append(start)
    if not conversations:
        why = "the HAR has no WebSocket entry (_resourceType 'websocket' or _webSocketMessages)"
        raise CassetteError(source, None, why)
    base = min(starts)
    for _, conv in conversations:
        conv.t -= base
        for step in conv.steps:
            step.t -= base
    return [c for _, c in conversations], base


def _is_websocket(entry: dict[str, Any]) -> bool:
    if entry.get("_resourceType") == "websocket" or "_webSocketMessages" in entry:
        return True
    url = entry.get("request", {}).get("url", "") if isinstance(entry.get("request"), dict) else ""
    return isinstance(url, str) and url.startswith(("ws://", "wss://"))


def _epoch(value: Any) -> float | None:
    """HAR message times: DevTools writes epoch seconds, some tools milliseconds."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return value / 1000.0 if value > 1e11 else float(value)


def _conversation(entry: dict[str, Any], where: str, source: str, number: int) -> tuple[Conversation, float]:
    request: dict[str, Any] = entry["request"] if isinstance(entry.get("request"), dict) else {}
    response: dict[str, Any] = entry["response"] if isinstance(entry.get("response"), dict) else {}
    url = request.get("url", "")
    if not isinstance(url, str):
        raise CassetteError(source, None, f"{where}.request.url must be a string")
    parts = urlsplit(url)
    headers = _pairs(request.get("headers", []))
    response_headers = _pairs(response.get("headers", []))
    subprotocol = next((v for k, v in response_headers if k.lower() == "sec-websocket-protocol"), None)
    status = response.get("status", 101)
    handshake = Handshake(
        path=parts.path or "/",
        query=mask_query(parts.query),
        subprotocol=subprotocol or None,
        headers=keep_headers(headers),
        status=status if isinstance(status, int) and status > 0 else 101,
    )
    started = entry.get("startedDateTime")
    start: float | None = None
    if isinstance(started, str):
        try:
            start = datetime.fromisoformat(started).timestamp()
        except ValueError:
            start = None
    messages = entry.get("_webSocketMessages", [])
    if not isinstance(messages, list):
        raise CassetteError(source, None, f"{where}._webSocketMessages must be a list")
    steps: list[Step] = []
    for i, message in enumerate(messages):
        here = f"{where}._webSocketMessages[{i}]"
        if not isinstance(message, dict):
            raise CassetteError(source, None, f"{here} must be an object")
        kind = message.get("type")
        if kind not in ("send", "receive"):
            continue  # DevTools also lists "error" entries: not messages
        opcode = message.get("opcode")
        data = message.get("data", "")
        if not isinstance(data, str):
            raise CassetteError(source, None, f"{here}.data must be a string")
        moment = _epoch(message.get("time"))
        if moment is None:
            raise CassetteError(source, None, f"{here}.time must be a number (epoch seconds)")
        payload: str | bytes
        if opcode == 1:
            payload = data
        elif opcode == 2:
            try:
                payload = base64.b64decode(data, validate=True)
            except (binascii.Error, ValueError) as exc:
                raise CassetteError(source, None, f"{here}.data is not valid base64 ({exc})") from None
        else:
            continue  # control frames are not in DevTools' list; skip what is not data
        sender: Sender = "client" if kind == "send" else "server"
        steps.append(Step("message", sender, moment, payload))
    if start is None:
        start = steps[0].t if steps else 0.0
    conv = Conversation(number, handshake, start, steps)
    return conv, min([start, *(s.t for s in steps)])


def _pairs(headers: Any) -> list[tuple[str, str]]:
    """HAR headers (``[{"name": ..., "value": ...}]``) as pairs; anything else is ignored."""
    out = []
    if isinstance(headers, list):
        for h in headers:
            if isinstance(h, dict) and isinstance(h.get("name"), str) and isinstance(h.get("value"), str):
                out.append((h["name"], h["value"]))
    return out


def session_to_har(
    conversations: Iterable[Conversation], created: float, base_url: str = "ws://localhost"
) -> dict[str, Any]:
    """A HAR document with one WebSocket entry per conversation, as DevTools writes them.

    Args:
        conversations: the session's conversations.
        created: the session's start (epoch seconds); conversation and step times are relative to it.
        base_url: scheme and host the entries' URLs start with.
    """
    base = base_url.rstrip("/")
    entries = []
    for conv in conversations:
        hs = conv.handshake
        started = created + conv.t
        headers = [{"name": k, "value": v} for k, v in hs.headers.items()]
        response_headers = [{"name": "Upgrade", "value": "websocket"}, {"name": "Connection", "value": "Upgrade"}]
        if hs.subprotocol:
            response_headers.append({"name": "Sec-WebSocket-Protocol", "value": hs.subprotocol})
        messages = [
            har_message(s.sender == "client", created + s.t, s.data, text=isinstance(s.data, str))
            for s in conv.messages
        ]
        entries.append(
            {
                "startedDateTime": datetime.fromtimestamp(started).astimezone().isoformat(timespec="milliseconds"),
                "time": 0,
                "request": {
                    "method": "GET",
                    "url": base + hs.target,
                    "httpVersion": "HTTP/1.1",
                    "headers": headers,
                    "queryString": [],
                    "cookies": [],
                    "headersSize": -1,
                    "bodySize": 0,
                },
                "response": {
                    "status": hs.status,
                    "statusText": "Switching Protocols" if hs.status == 101 else "",
                    "httpVersion": "HTTP/1.1",
                    "headers": response_headers,
                    "cookies": [],
                    "content": {"size": 0, "mimeType": "x-unknown"},
                    "redirectURL": "",
                    "headersSize": -1,
                    "bodySize": 0,
                },
                "cache": {},
                "timings": {"send": 0, "wait": 0, "receive": 0},
                "_resourceType": "websocket",
                "_webSocketMessages": messages,
            }
        )
    return har_log(entries)
