"""A Pipecat echo bot on Pipecat's own WebSocket server transport (run with the Pipecat venv's python).

Started by tests/test_pipecat.py. Listens on 127.0.0.1 port 0 and prints ``PORT <n>`` once
listening. With Pipecat's ProtobufFrameSerializer it answers:

* audio: echoed back as output audio (Pipecat re-chunks it into 40 ms pieces),
* a text frame: the message ``{"text": ...}``; the text ``"interrupt"`` also pushes an InterruptionFrame,
* a transcription frame: the message ``{"transcription": ..., "user_id": ..., "timestamp": ...}``,
* a message: the message ``{"echo": <message>}``,
* an interruption: passed through (Pipecat's output transport sends it back).

With ``--serializer twilio`` it is a telephony bot instead: Pipecat's TwilioFrameSerializer
(stream SID ``MZwskit``, no hang-up), audio echoed as above, and a DTMF key answered with an
interruption (Twilio's ``clear``).

Exits when stdin closes (the test ending) or after --lifetime seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
from collections.abc import AsyncIterator
from typing import Any

import pipecat.transports.websocket.server as pipecat_server
from loguru import logger
from pipecat.frames.frames import (
    Frame,
    InputAudioRawFrame,
    InputDTMFFrame,
    InputTransportMessageFrame,
    InterruptionFrame,
    OutputAudioRawFrame,
    OutputTransportMessageUrgentFrame,
    TextFrame,
    TranscriptionFrame,
)
from pipecat.pipeline.pipeline import Pipeline
from pipecat.pipeline.worker import PipelineParams, PipelineWorker
from pipecat.processors.frame_processor import FrameDirection, FrameProcessor
from pipecat.serializers.protobuf import ProtobufFrameSerializer
from pipecat.serializers.twilio import TwilioFrameSerializer
from pipecat.transports.websocket.server import SingleClientWebsocketServerParams, SingleClientWebsocketServerTransport
from pipecat.workers.runner import WorkerRunner

_serve = pipecat_server.websocket_serve


@contextlib.asynccontextmanager
async def _serve_and_report_port(*args: Any, **kwargs: Any) -> AsyncIterator[Any]:
    """Pipecat's own serve call, on the port the OS picked, which we print for the test."""
    async with _serve(*args, **kwargs) as server:
        print(f"PORT {server.sockets[0].getsockname()[1]}", flush=True)
        yield server


pipecat_server.websocket_serve = _serve_and_report_port  # type: ignore[assignment]


class Echo(FrameProcessor):
    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        await super().process_frame(frame, direction)
        if isinstance(frame, InputAudioRawFrame):
            await self.push_frame(OutputAudioRawFrame(frame.audio, frame.sample_rate, frame.num_channels))
        elif isinstance(frame, InputTransportMessageFrame):
            await self.push_frame(OutputTransportMessageUrgentFrame(message={"echo": frame.message}))
        elif isinstance(frame, TranscriptionFrame):
            reply = {"transcription": frame.text, "user_id": frame.user_id, "timestamp": frame.timestamp}
            await self.push_frame(OutputTransportMessageUrgentFrame(message=reply))
        elif isinstance(frame, TextFrame):
            await self.push_frame(OutputTransportMessageUrgentFrame(message={"text": frame.text}))
            if frame.text == "interrupt":
                await self.push_frame(InterruptionFrame())
        elif isinstance(frame, InputDTMFFrame):
            await self.push_frame(InterruptionFrame())
        else:
            await self.push_frame(frame, direction)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lifetime", type=float, default=60.0)
    parser.add_argument("--serializer", choices=("protobuf", "twilio"), default="protobuf")
    args = parser.parse_args()
    logger.remove()
    logger.add(sys.stderr, level="WARNING")
    transport = SingleClientWebsocketServerTransport(
        SingleClientWebsocketServerParams(
            serializer=ProtobufFrameSerializer()
            if args.serializer == "protobuf"
            else TwilioFrameSerializer("MZwskit", params=TwilioFrameSerializer.InputParams(auto_hang_up=False)),
            audio_in_enabled=True,
            audio_in_sample_rate=16000,
            audio_out_enabled=True,
            audio_out_sample_rate=16000,
            audio_out_auto_silence=False,
        ),
        host="127.0.0.1",
        port=0,
    )
    worker = PipelineWorker(
        Pipeline([transport.input(), Echo(), transport.output()]),
        params=PipelineParams(audio_in_sample_rate=16000, audio_out_sample_rate=16000),
        idle_timeout_secs=None,
        enable_rtvi=False,  # a plain echo: no RTVI protocol messages in between
    )
    runner = WorkerRunner(handle_sigint=False)
    await runner.add_workers(worker)
    loop = asyncio.get_running_loop()
    stdin_closed = loop.run_in_executor(None, sys.stdin.read)
    running = asyncio.create_task(runner.run())
    await asyncio.wait([running, stdin_closed], timeout=args.lifetime, return_when=asyncio.FIRST_COMPLETED)
    await runner.cancel()
    with contextlib.suppress(asyncio.CancelledError, TimeoutError):
        await asyncio.wait_for(running, 5)


if __name__ == "__main__":
    asyncio.run(main())
