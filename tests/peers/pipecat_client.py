"""Pipecat's own WebSocket client transport talking to a wskit server (run with the Pipecat venv's python).

Started by tests/test_pipecat.py with the server URL. It connects with Pipecat's
ProtobufFrameSerializer (and Pipecat's client default of a WAV header on every audio
chunk), sends one transport message and 400 ms of 16 kHz audio, and prints one JSON
object per line for the test to read:

* ``{"sent_audio": <base64 PCM>}`` -- the audio it queued,
* ``{"got": "text" | "transcription" | "message" | "interruption" | "audio", ...}`` per frame received,
* ``{"done": true}`` once the message, text, transcription, interruption and all the audio came back.

Exits after that, when stdin closes, or after --lifetime seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
import sys
from typing import Any

import numpy as np
from loguru import logger
from pipecat.frames.frames import (
    Frame,
    InputAudioRawFrame,
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
from pipecat.transports.websocket.client import WebsocketClientParams, WebsocketClientTransport
from pipecat.workers.runner import WorkerRunner

RATE = 16000
t = np.arange(int(0.4 * RATE)) / RATE
AUDIO = (8000 * np.sin(2 * np.pi * (200 * t + 2000 * t * t))).astype("<i2").tobytes()  # a 200 -> 1800 Hz chirp


def say(**obj: Any) -> None:
    print(json.dumps(obj), flush=True)


class Collector(FrameProcessor):
    def __init__(self, finished: asyncio.Event) -> None:
        super().__init__()
        self.finished = finished
        self.audio = bytearray()
        self.seen: set[str] = set()

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        await super().process_frame(frame, direction)
        if direction is FrameDirection.DOWNSTREAM:
            if isinstance(frame, InputAudioRawFrame):
                self.audio += frame.audio
                say(got="audio", bytes=len(frame.audio), sample_rate=frame.sample_rate, channels=frame.num_channels)
                if len(self.audio) >= len(AUDIO):
                    say(got="all_audio", audio=base64.b64encode(bytes(self.audio)).decode())
                    self.seen.add("all_audio")
            elif isinstance(frame, InputTransportMessageFrame):
                say(got="message", message=frame.message)
                self.seen.add("message")
            elif isinstance(frame, TranscriptionFrame):
                say(got="transcription", text=frame.text, user_id=frame.user_id, timestamp=frame.timestamp)
                self.seen.add("transcription")
            elif isinstance(frame, TextFrame):
                say(got="text", text=frame.text)
                self.seen.add("text")
            elif isinstance(frame, InterruptionFrame):
                say(got="interruption")
                self.seen.add("interruption")
            if {"message", "text", "transcription", "interruption", "all_audio"} <= self.seen:
                self.finished.set()
        await self.push_frame(frame, direction)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("--lifetime", type=float, default=40.0)
    args = parser.parse_args()
    logger.remove()
    logger.add(sys.stderr, level="WARNING")
    finished = asyncio.Event()
    transport = WebsocketClientTransport(
        uri=args.url,
        params=WebsocketClientParams(
            serializer=ProtobufFrameSerializer(),
            audio_in_enabled=True,
            audio_in_sample_rate=RATE,
            audio_out_enabled=True,
            audio_out_sample_rate=RATE,
            audio_out_auto_silence=False,
        ),
    )
    collector = Collector(finished)
    worker = PipelineWorker(
        Pipeline([transport.input(), collector, transport.output()]),
        params=PipelineParams(audio_in_sample_rate=RATE, audio_out_sample_rate=RATE),
        idle_timeout_secs=None,
        enable_rtvi=False,  # a plain echo: no RTVI protocol messages in between
    )

    @transport.event_handler("on_connected")
    async def on_connected(_transport: Any, _ws: Any) -> None:
        say(sent_audio=base64.b64encode(AUDIO).decode())
        await worker.queue_frames(
            [
                OutputTransportMessageUrgentFrame(message={"hello": "wskit", "n": [1, 2, 3]}),
                OutputAudioRawFrame(AUDIO, RATE, 1),
            ]
        )

    runner = WorkerRunner(handle_sigint=False)
    await runner.add_workers(worker)
    running = asyncio.create_task(runner.run())
    stdin_closed = asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    done = asyncio.create_task(finished.wait())
    await asyncio.wait([running, stdin_closed, done], timeout=args.lifetime, return_when=asyncio.FIRST_COMPLETED)
    if finished.is_set():
        say(done=True)
    await runner.cancel()
    with contextlib.suppress(asyncio.CancelledError, TimeoutError):
        await asyncio.wait_for(running, 5)


if __name__ == "__main__":
    asyncio.run(main())
