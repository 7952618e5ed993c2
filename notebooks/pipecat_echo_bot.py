"""A small Pipecat echo bot for notebook 7 (run with a Python that has pipecat-ai[websocket]).

A Pipecat pipeline, ``transport.input() -> Echo -> transport.output()``, on Pipecat's own
WebSocket server transport with its ProtobufFrameSerializer. What it answers:

* audio: echoed back as output audio (Pipecat re-chunks it into 40 ms pieces);
* a text frame: the message ``{"you said": text, "upper": TEXT}``;
* a transcription frame: the message ``{"transcribed": text, "user_id": ...}``;
* a message: the message ``{"echo": message}``.

Usage: ``python pipecat_echo_bot.py --port N`` (loopback only). Prints ``READY <port>`` once the
server accepts connections. Exits when its stdin closes (the notebook stopping it) or after
``--lifetime`` seconds, whichever comes first.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys

from loguru import logger
from pipecat.frames.frames import (
    Frame,
    InputAudioRawFrame,
    InputTransportMessageFrame,
    OutputAudioRawFrame,
    OutputTransportMessageUrgentFrame,
    TextFrame,
    TranscriptionFrame,
)
from pipecat.pipeline.pipeline import Pipeline
from pipecat.pipeline.worker import PipelineParams, PipelineWorker
from pipecat.processors.frame_processor import FrameDirection, FrameProcessor
from pipecat.serializers.protobuf import ProtobufFrameSerializer
from pipecat.transports.websocket.server import SingleClientWebsocketServerParams, SingleClientWebsocketServerTransport
from pipecat.workers.runner import WorkerRunner


class Echo(FrameProcessor):
    """Turns each frame from the client into the reply described above."""

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        await super().process_frame(frame, direction)
        if isinstance(frame, InputAudioRawFrame):
            await self.push_frame(OutputAudioRawFrame(frame.audio, frame.sample_rate, frame.num_channels))
        elif isinstance(frame, InputTransportMessageFrame):
            await self.push_frame(OutputTransportMessageUrgentFrame(message={"echo": frame.message}))
        elif isinstance(frame, TranscriptionFrame):  # before TextFrame: a transcription is a kind of text
            reply = {"transcribed": frame.text, "user_id": frame.user_id}
            await self.push_frame(OutputTransportMessageUrgentFrame(message=reply))
        elif isinstance(frame, TextFrame):
            reply = {"you said": frame.text, "upper": frame.text.upper()}
            await self.push_frame(OutputTransportMessageUrgentFrame(message=reply))
        else:
            await self.push_frame(frame, direction)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--lifetime", type=float, default=120.0, help="exit after this many seconds")
    args = parser.parse_args()
    logger.remove()
    logger.add(sys.stderr, level="WARNING")

    transport = SingleClientWebsocketServerTransport(
        SingleClientWebsocketServerParams(
            serializer=ProtobufFrameSerializer(),
            audio_in_enabled=True,
            audio_in_sample_rate=16000,
            audio_out_enabled=True,
            audio_out_sample_rate=16000,
            audio_out_auto_silence=False,  # send only the echo, no silence between
        ),
        host="127.0.0.1",
        port=args.port,
    )

    @transport.event_handler("on_websocket_ready")
    async def ready(_transport: SingleClientWebsocketServerTransport) -> None:
        print(f"READY {args.port}", flush=True)

    worker = PipelineWorker(
        Pipeline([transport.input(), Echo(), transport.output()]),
        params=PipelineParams(audio_in_sample_rate=16000, audio_out_sample_rate=16000),
        idle_timeout_secs=None,
        enable_rtvi=False,  # a plain echo: no RTVI protocol messages in between
    )
    runner = WorkerRunner(handle_sigint=False)
    await runner.add_workers(worker)
    stdin_closed = asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    running = asyncio.create_task(runner.run())
    await asyncio.wait([running, stdin_closed], timeout=args.lifetime, return_when=asyncio.FIRST_COMPLETED)
    await runner.cancel()
    with contextlib.suppress(asyncio.CancelledError, TimeoutError):
        await asyncio.wait_for(running, 5)


if __name__ == "__main__":
    asyncio.run(main())
