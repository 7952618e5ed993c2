"""wskit.serializers._base: encode/decode guard any serializer, sync or async."""

from __future__ import annotations

from typing import Any

import pytest

import wskit
from wskit.frames import BinaryFrame, Frame, TextFrame
from wskit.serializers import JsonSerializer, RawSerializer, SerializerError, decode, describe, encode, setup

FRAME = TextFrame("hi", id=5, name="TextFrame#5")


class Returns:
    """Returns what it is given, whatever that is."""

    def __init__(self, value: Any) -> None:
        self.value = value

    def serialize(self, frame: Frame) -> Any:
        return self.value

    def deserialize(self, data: str | bytes) -> Any:
        return self.value


class AsyncReturns(Returns):
    async def serialize(self, frame: Frame) -> Any:
        return self.value

    async def deserialize(self, data: str | bytes) -> Any:
        return self.value


class Raises:
    def serialize(self, frame: Frame) -> str:
        raise RuntimeError("cannot encode")

    def deserialize(self, data: str | bytes) -> Frame:
        raise KeyError("type")


class AsyncRaises:
    async def serialize(self, frame: Frame) -> str:
        raise RuntimeError("cannot encode")

    async def deserialize(self, data: str | bytes) -> Frame:
        raise KeyError("type")


class Named(Raises):
    name = "MyProtocol"


class TestEncode:
    @pytest.mark.parametrize("serializer", [Returns("text"), AsyncReturns("text")])
    async def test_text(self, serializer: Returns) -> None:
        assert await encode(serializer, FRAME) == "text"

    @pytest.mark.parametrize("serializer", [Returns(b"\x00"), AsyncReturns(b"\x00")])
    async def test_bytes(self, serializer: Returns) -> None:
        assert await encode(serializer, FRAME) == b"\x00"

    @pytest.mark.parametrize("value", [bytearray(b"\x00\x01"), memoryview(b"\x00\x01")])
    async def test_bytes_like_becomes_bytes(self, value: bytearray | memoryview) -> None:
        result = await encode(Returns(value), FRAME)
        assert type(result) is bytes
        assert result == b"\x00\x01"

    @pytest.mark.parametrize("serializer", [Raises(), AsyncRaises()])
    async def test_raises(self, serializer: object) -> None:
        with pytest.raises(SerializerError) as info:
            await encode(serializer, FRAME)  # type: ignore[arg-type]
        name = type(serializer).__name__
        assert str(info.value) == f"{name}.serialize raised RuntimeError: cannot encode (on TextFrame#5)"
        assert isinstance(info.value.__cause__, RuntimeError)
        assert info.value.serializer is serializer
        assert info.value.operation == "serialize"
        assert info.value.data is FRAME
        assert info.value.close_code == 1011

    @pytest.mark.parametrize("serializer", [Returns(None), AsyncReturns(None)])
    async def test_returns_none(self, serializer: Returns) -> None:
        with pytest.raises(SerializerError) as info:
            await encode(serializer, FRAME)
        name = type(serializer).__name__
        assert str(info.value) == (
            f"{name}.serialize returned None: it cannot encode this frame, nothing was sent (on TextFrame#5)"
        )

    @pytest.mark.parametrize(("value", "kind"), [(42, "int"), ({"a": 1}, "dict"), (FRAME, "TextFrame")])
    async def test_returns_wrong_type(self, value: object, kind: str) -> None:
        with pytest.raises(SerializerError) as info:
            await encode(Returns(value), FRAME)
        assert str(info.value) == f"Returns.serialize returned {kind}, expected str or bytes (on TextFrame#5)"

    async def test_async_returns_wrong_type(self) -> None:
        with pytest.raises(SerializerError, match=r"^AsyncReturns.serialize returned int, expected str or bytes"):
            await encode(AsyncReturns(42), FRAME)

    async def test_json_serializer_cannot_encode_a_bare_frame(self) -> None:
        with pytest.raises(SerializerError, match=r"^JsonSerializer.serialize returned None: .* \(on Frame#9\)$"):
            await encode(JsonSerializer(), Frame(id=9))


class TestDecode:
    @pytest.mark.parametrize("serializer", [Returns(FRAME), AsyncReturns(FRAME)])
    async def test_frame(self, serializer: Returns) -> None:
        assert await decode(serializer, "hi") is FRAME

    @pytest.mark.parametrize("serializer", [Returns(None), AsyncReturns(None)])
    async def test_none_skips_the_message(self, serializer: Returns) -> None:
        assert await decode(serializer, b"\x00") is None

    @pytest.mark.parametrize("serializer", [Raises(), AsyncRaises()])
    async def test_raises_on_text(self, serializer: object) -> None:
        with pytest.raises(SerializerError) as info:
            await decode(serializer, "hello")  # type: ignore[arg-type]
        name = type(serializer).__name__
        assert str(info.value) == f"{name}.deserialize raised KeyError: 'type' (on text message 'hello', 5 bytes)"
        assert isinstance(info.value.__cause__, KeyError)
        assert info.value.operation == "deserialize"
        assert info.value.data == "hello"
        assert info.value.close_code == 1007

    async def test_raises_on_binary(self) -> None:
        with pytest.raises(SerializerError) as info:
            await decode(Raises(), b"\x00\xff\x10")
        assert str(info.value) == "Raises.deserialize raised KeyError: 'type' (on binary message 00 ff 10, 3 bytes)"
        assert info.value.close_code == 1007

    async def test_text_size_is_in_utf8_bytes(self) -> None:
        with pytest.raises(SerializerError, match=r"\(on text message 'héllo', 6 bytes\)$"):
            await decode(Raises(), "héllo")

    async def test_long_message_is_previewed(self) -> None:
        message = "a" * 30 + "b" * 40 + "c" * 30
        with pytest.raises(SerializerError) as info:
            await decode(Raises(), message)
        assert str(info.value).endswith(f"(on text message '{'a' * 20}…{'c' * 20}', 100 bytes)")

    async def test_long_binary_is_previewed(self) -> None:
        with pytest.raises(SerializerError) as info:
            await decode(Raises(), bytes(range(256)))
        expected = "(on binary message 00 01 02 03 04 05 06 07 08 09 … f6 f7 f8 f9 fa fb fc fd fe ff, 256 bytes)"
        assert str(info.value).endswith(expected)

    @pytest.mark.parametrize(("value", "kind"), [("hi", "str"), (b"hi", "bytes"), (0, "int"), (False, "bool")])
    async def test_returns_wrong_type(self, value: object, kind: str) -> None:
        with pytest.raises(SerializerError) as info:
            await decode(Returns(value), "x")
        assert (
            str(info.value)
            == f"Returns.deserialize returned {kind}, expected a Frame or None (on text message 'x', 1 bytes)"
        )

    async def test_async_returns_wrong_type(self) -> None:
        with pytest.raises(SerializerError, match=r"^AsyncReturns.deserialize returned dict, expected a Frame or None"):
            await decode(AsyncReturns({}), "x")

    async def test_json_serializer_error(self) -> None:
        with pytest.raises(SerializerError) as info:
            await decode(JsonSerializer(), "[1]")
        assert str(info.value) == (
            "JsonSerializer.deserialize raised ValueError: expected a JSON object, got list "
            "(on text message '[1]', 3 bytes)"
        )

    async def test_raw_serializer(self) -> None:
        frame = await decode(RawSerializer("bytes"), b"\x01")
        assert isinstance(frame, BinaryFrame)
        assert frame.data == b"\x01"


class TestNames:
    def test_describe_uses_the_class_name(self) -> None:
        assert describe(Raises()) == "Raises"

    def test_describe_prefers_a_name_attribute(self) -> None:
        assert describe(Named()) == "MyProtocol"

    async def test_error_uses_the_name_attribute(self) -> None:
        with pytest.raises(SerializerError, match=r"^MyProtocol.serialize raised RuntimeError: cannot encode"):
            await encode(Named(), FRAME)

    def test_serializer_error_directly(self) -> None:
        error = SerializerError(Raises(), "deserialize", b"\x00", "went wrong")
        assert str(error) == "Raises.deserialize went wrong (on binary message 00, 1 bytes)"
        assert error.close_code == 1007


class TestSetup:
    async def test_without_a_hook_does_nothing(self) -> None:
        await setup(Raises(), wskit.WebsocketServerParams())

    async def test_sync_hook(self) -> None:
        seen = []

        class WithSetup(Raises):
            def setup(self, params: object) -> None:
                seen.append(params)

        params = wskit.WebsocketServerParams()
        await setup(WithSetup(), params)
        assert seen == [params]

    async def test_async_hook_is_awaited(self) -> None:
        seen = []

        class WithAsyncSetup(Raises):
            async def setup(self, params: object) -> None:
                seen.append(params)

        params = wskit.WebsocketClientParams()
        await setup(WithAsyncSetup(), params)
        assert seen == [params]
