"""FastAPI-style routes: path templates and handler parameters.

``@server.route("/items/{item_id}/ws")`` matches ``/items/foo/ws`` and calls
the handler with ``websocket=...``, ``item_id="foo"`` and any query parameter
the signature names (``q: int | None = None``), converted by its annotation,
as FastAPI does. ``{name:path}`` matches across slashes.
"""

from __future__ import annotations

import inspect
import re
import types
import typing
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from ..redact import mask_value

if TYPE_CHECKING:
    from .connection import Connection
    from .params import AuthHook

__all__ = ["ParameterError", "Route"]

Handler = Callable[..., Awaitable[None]]
_PARAM = re.compile(r"{([A-Za-z_][A-Za-z0-9_]*)(?::([A-Za-z_]+))?}")
_INT = re.compile(r"[+-]?[0-9]+")
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


class ParameterError(ValueError):
    """A path or query parameter is missing or does not convert to its annotation."""


def compile_template(template: str) -> re.Pattern[str]:
    """Turn ``/items/{item_id}/ws`` into a regex with one named group per parameter."""
    if not template.startswith("/"):
        raise ValueError(f"route path must start with '/': {template!r}")
    pattern, last, names = "", 0, set()
    for match in _PARAM.finditer(template):
        name, kind = match.group(1), match.group(2) or "str"
        if kind not in ("str", "path"):
            raise ValueError(f"unknown converter {kind!r} in {template!r}: use {{{name}}} or {{{name}:path}}")
        if name in names:
            raise ValueError(f"parameter {name!r} appears twice in {template!r}")
        names.add(name)
        pattern += re.escape(template[last : match.start()])
        body = ".+" if kind == "path" else "[^/]+"
        pattern += f"(?P<{match.group(1)}>{body})"
        last = match.end()
    return re.compile(pattern + re.escape(template[last:]) + r"\Z")


def _convert(value: str, annotation: Any, name: str) -> Any:
    """Convert a string parameter to ``annotation`` (str, int, float, bool, or Optional of one)."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(annotation) if a is not type(None)]
        annotation = options[0] if len(options) == 1 else str
    try:
        if annotation is bool:
            lowered = value.lower()
            if lowered in _TRUE or lowered in _FALSE:
                return lowered in _TRUE
            raise ValueError(value)
        if annotation is int and not _INT.fullmatch(value):
            raise ValueError(value)
        if annotation in (int, float):
            return annotation(value)
    except ValueError:
        shown = mask_value(name, value)  # a token in the query string must not reach logs or close reasons
        raise ParameterError(f"parameter {name!r}: {shown!r} is not a valid {annotation.__name__}") from None
    return value


class Route:
    """A path template bound to a handler and an optional auth hook."""

    def __init__(self, path: str, handler: Handler, auth: AuthHook | None = None) -> None:
        self.path = path
        self.handler = handler
        self.auth = auth
        self.pattern = compile_template(path)
        self.signature = inspect.signature(handler)
        try:
            self.hints = typing.get_type_hints(handler)
        except Exception:  # unresolvable annotations: treat every parameter as str
            self.hints = {}

    def __repr__(self) -> str:
        return f"<Route {self.path} -> {getattr(self.handler, '__qualname__', self.handler)}>"

    def match(self, path: str) -> dict[str, str] | None:
        """The path parameters if ``path`` (without query) matches, else ``None``.

        ``path`` is the path as sent, percent-encoded. It is matched as it is,
        so an encoded slash (``%2F``) stays inside one parameter, and each
        parameter is then decoded (``bar%20baz`` -> ``bar baz``), as FastAPI
        passes it to the endpoint. A template with literal characters that
        travel encoded (``/café/{x}``) is matched against the decoded path.
        """
        found = self.pattern.match(path)
        if found is not None:
            return {name: unquote(value) for name, value in found.groupdict().items()}
        found = self.pattern.match(unquote(path))
        return found.groupdict() if found else None

    def arguments(self, websocket: Connection) -> dict[str, Any]:
        """Keyword arguments for the handler, taken from the connection.

        The parameter named ``websocket`` (or annotated with the connection
        type) gets the connection; ``auth`` gets what the auth hook returned;
        others come from path then query parameters, or their defaults.

        Raises:
            ParameterError: a required parameter is missing or invalid.
        """
        from .connection import Connection

        kwargs: dict[str, Any] = {}
        for name, param in self.signature.parameters.items():
            if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
                continue
            annotation = self.hints.get(name, str)
            if name == "websocket" or annotation is Connection:
                kwargs[name] = websocket
            elif name == "auth":
                kwargs[name] = websocket.auth
            elif name in websocket.path_params:
                kwargs[name] = _convert(websocket.path_params[name], annotation, name)
            elif name in websocket.query_params:
                kwargs[name] = _convert(websocket.query_params[name], annotation, name)
            elif param.default is param.empty:
                raise ParameterError(f"missing required query parameter {name!r}")
        return kwargs
