// wskit audio page: the browser as a microphone and a speaker for a WebSocket server.
//
// The page connects back to the server that served it (or to `?ws=`), captures the
// microphone through capture-worklet.js (mono, resampled to `?rate=`, one binary message
// per `?frame_ms=` frame) and plays the audio frames it receives through
// playback-worklet.js (a jitter buffer of `?buffer_ms=`, at most `?max_buffer_ms=`).
// Wire formats (`?format=`): `raw` (int16 little-endian PCM, what wskit's RawSerializer
// reads with audio_in_enabled=True), `wav` (the same with a 44-byte WAV header) and
// `protobuf` (Pipecat's frames.proto, as wskit.ProtobufFrameSerializer and Pipecat read it).
//
// Clock echo: a JSON message {"type": "clock", ...} (a text message, or a protobuf
// MessageFrame) is answered at once with the same object plus "page": Date.now(), so a
// server can relate the page's clock to its own; with `?stamp=1` (protobuf) each frame
// carries its capture time in `pts` (nanoseconds of that clock).
//
// Everything a peer sends is shown as text (textContent), never as HTML. The page's
// counters are in `window.wskitAudio.stats()`.

import {
  addWavHeader,
  decodeFrame,
  encodeAudioFrame,
  encodeMessageFrame,
  int16ToBytes,
  levels,
  parseWav,
  pcmToMonoFloat,
} from "./pcm.js";

const RATES = [8000, 16000, 24000, 44100, 48000];
const FORMATS = { raw: "raw PCM", wav: "WAV (44-byte header + PCM)", protobuf: "Pipecat protobuf frames" };
const MAX_LOG = 200;
const MAX_HISTORY = 6000;
const MAX_SEND_BUFFER = 512 * 1024; // bytes waiting in the socket: past this, frames are dropped (and counted)
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

const $ = (id) => document.getElementById(id);

function show(text, kind = "info") {
  const log = $("log");
  const last = log.lastElementChild;
  if (last && last.dataset.text === text && last.className === kind) {
    last.dataset.count = String(Number(last.dataset.count) + 1);
    last.textContent = `${text} (×${last.dataset.count})`;
    return;
  }
  const item = document.createElement("li");
  item.className = kind;
  item.dataset.text = text;
  item.dataset.count = "1";
  item.textContent = text;
  log.appendChild(item);
  while (log.childElementCount > MAX_LOG) log.firstElementChild.remove();
  state.log.push({ kind, text });
  if (state.log.length > MAX_LOG) state.log.shift();
  if (kind === "error") state.errors++;
}

function readConfig(query) {
  const problems = [];
  const int = (name, fallback, valid, what) => {
    const raw = query.get(name);
    if (raw === null || raw === "") return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || !valid(value)) {
      problems.push(`?${name}=${raw}: ${what}`);
      return fallback;
    }
    return value;
  };
  const rate = int("rate", 16000, (v) => v >= 8000 && v <= 96000, "a sample rate from 8000 to 96000 Hz");
  const frameMs = int("frame_ms", 20, (v) => [10, 20, 40].includes(v), "10, 20 or 40");
  const bufferMs = int("buffer_ms", 60, (v) => v >= 0 && v <= 5000, "0 to 5000 ms");
  const maxBufferMs = int("max_buffer_ms", Math.max(300, 2 * bufferMs), (v) => v > bufferMs && v <= 10000, `more than buffer_ms (${bufferMs}) and at most 10000 ms`);
  if (((rate * frameMs) / 1000) % 1) problems.push(`${frameMs} ms at ${rate} Hz is not a whole number of samples`);
  let format = query.get("format") || "raw";
  if (!(format in FORMATS)) {
    problems.push(`?format=${format}: raw, wav or protobuf`);
    format = "raw";
  }
  const stamp = query.get("stamp") === "1";
  if (stamp && format !== "protobuf") problems.push("?stamp=1 needs ?format=protobuf (the stamp travels in pts)");
  const wanted = query.get("ws") || "/";
  const target = /^wss?:\/\//i.test(wanted) ? new URL(wanted) : new URL(wanted, location.href);
  if (!/^wss?:\/\//i.test(wanted)) {
    target.protocol = location.protocol === "https:" ? "wss:" : "ws:";
    target.host = location.host;
  }
  if (query.get("token")) target.searchParams.set("token", query.get("token"));
  return {
    rate,
    frameMs,
    frameSamples: (rate * frameMs) / 1000,
    format,
    bufferMs,
    maxBufferMs,
    stamp,
    target: target.href,
    autostart: query.get("autostart") === "1",
    echoCancellation: query.get("echo_cancellation") !== "0",
    problems,
  };
}

const config = readConfig(new URLSearchParams(location.search));

const state = {
  config,
  socket: "connecting",
  closeCode: null,
  closeReason: "",
  deviceRate: null,
  speaker: "starting",
  framesSent: 0,
  bytesSent: 0,
  framesDropped: 0,
  messagesReceived: 0,
  framesReceived: 0,
  framesRejected: 0,
  errors: 0,
  capture: { running: false, rmsDbfs: -Infinity, peakDbfs: -Infinity },
  playback: { state: "idle", depthMs: 0, framesQueued: 0, framesPlayed: 0, underruns: 0, lateFrames: 0, overflowFrames: 0 },
  log: [],
  depthHistory: [],
  arrivalJitterMs: [],
  lastArrival: null,
  lastDurationMs: null,
};

function percentile(values, p) {
  if (!values.length) return null;
  const sorted = Float64Array.from(values).sort();
  const rank = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo);
}

const finite = (x) => (Number.isFinite(x) ? x : null); // JSON has no -Infinity

/** Everything the page counts, as plain JSON-able values (-Infinity dBFS is null). */
function stats() {
  const copy = (o) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, typeof v === "number" ? finite(v) : v]));
  return {
    socket: state.socket,
    closeCode: state.closeCode,
    closeReason: state.closeReason,
    url: config.target,
    format: config.format,
    rate: config.rate,
    frameMs: config.frameMs,
    deviceRate: state.deviceRate,
    speaker: state.speaker,
    framesSent: state.framesSent,
    bytesSent: state.bytesSent,
    framesDropped: state.framesDropped,
    messagesReceived: state.messagesReceived,
    framesReceived: state.framesReceived,
    framesRejected: state.framesRejected,
    errors: state.errors,
    capture: copy(state.capture),
    playback: copy(state.playback),
    arrivalJitterP50Ms: percentile(state.arrivalJitterMs, 50),
    arrivalJitterP99Ms: percentile(state.arrivalJitterMs, 99),
    depthP50Ms: percentile(state.depthHistory, 50),
    depthP99Ms: percentile(state.depthHistory, 99),
    depthSamples: state.depthHistory.length,
    log: state.log.slice(),
  };
}

function remember(list, value) {
  list.push(value);
  if (list.length > MAX_HISTORY) list.shift();
}

// -- sending ---------------------------------------------------------------------------

let socket = null;

function sendJson(object) {
  if (!socket || socket.readyState !== WebSocket.OPEN) return;
  const text = JSON.stringify(object);
  socket.send(config.format === "protobuf" ? encodeMessageFrame(text) : text);
}

function onCaptured({ samples, rate, stamp }) {
  let sum = 0;
  let peak = 0;
  for (let i = 0; i < samples.length; i++) {
    const v = samples[i] / 32768;
    sum += v * v;
    if (Math.abs(v) > peak) peak = Math.abs(v);
  }
  const db = (x) => (x > 0 ? 20 * Math.log10(x) : -Infinity);
  state.capture.rmsDbfs = db(Math.sqrt(sum / Math.max(1, samples.length)));
  state.capture.peakDbfs = db(peak);
  if (!socket || socket.readyState !== WebSocket.OPEN) return;
  if (socket.bufferedAmount > MAX_SEND_BUFFER) {
    if (!state.framesDropped) show(`the socket is not keeping up (${socket.bufferedAmount} bytes waiting): dropping microphone frames`, "error");
    state.framesDropped++;
    return;
  }
  const pcm = LITTLE_ENDIAN ? new Uint8Array(samples.buffer, samples.byteOffset, samples.byteLength) : int16ToBytes(samples);
  let message = pcm;
  if (config.format === "wav") message = addWavHeader(pcm, rate, 1);
  else if (config.format === "protobuf") message = encodeAudioFrame(pcm, rate, 1, config.stamp ? BigInt(stamp) * 1000000n : undefined);
  socket.send(message);
  state.framesSent++;
  state.bytesSent += message.byteLength;
}

// -- receiving -------------------------------------------------------------------------

let playback = null;

function preview(text, limit = 80) {
  return text.length > limit ? `${text.slice(0, limit / 2)}…${text.slice(-limit / 2)}` : text;
}

/** A JSON clock request is answered at once; returns whether `text` was one. */
function answerClock(text) {
  if (!text.startsWith("{")) return false;
  let object;
  try {
    object = JSON.parse(text);
  } catch {
    return false;
  }
  if (!object || object.type !== "clock") return false;
  sendJson({ ...object, page: Date.now() });
  return true;
}

function play(pcm, rate, channels) {
  if (rate !== config.rate) {
    state.framesRejected++;
    show(`an audio frame at ${rate} Hz, but this page plays ${config.rate} Hz (?rate=): frame skipped`, "error");
    return;
  }
  if (pcm.byteLength % (2 * channels)) {
    state.framesRejected++;
    show(`a binary message of ${pcm.byteLength} bytes is not whole 16-bit samples for ${channels} channel(s): skipped`, "error");
    return;
  }
  const samples = pcmToMonoFloat(pcm, channels);
  const now = performance.now();
  if (state.lastArrival !== null) remember(state.arrivalJitterMs, Math.abs(now - state.lastArrival - state.lastDurationMs));
  state.lastArrival = now;
  state.lastDurationMs = (1000 * samples.length) / rate;
  state.framesReceived++;
  if (playback) playback.port.postMessage({ type: "frame", samples }, [samples.buffer]);
}

function receiveBinary(bytes) {
  if (config.format === "protobuf") {
    let frame;
    try {
      frame = decodeFrame(bytes);
    } catch (error) {
      state.framesRejected++;
      show(`a binary message of ${bytes.byteLength} bytes is not a Pipecat frame: ${error.message}`, "error");
      return;
    }
    if (frame.type === "audio") play(frame.audio, frame.sampleRate, frame.numChannels);
    else if (frame.type === "text") show(`text: ${frame.text}`, "peer");
    else if (frame.type === "transcription") show(`transcription${frame.userId ? ` (${frame.userId})` : ""}: ${frame.text}`, "peer");
    else if (frame.type === "message") {
      if (!answerClock(frame.data)) show(`message: ${preview(frame.data, 200)}`, "peer");
    } else if (frame.type === "interruption") {
      if (playback) playback.port.postMessage({ type: "flush" });
      show("interruption: playback flushed", "peer");
    }
    return;
  }
  let wav = null;
  try {
    wav = parseWav(bytes);
  } catch (error) {
    state.framesRejected++;
    show(`a WAV message of ${bytes.byteLength} bytes is broken: ${error.message}`, "error");
    return;
  }
  if (wav) play(wav.pcm, wav.sampleRate, wav.numChannels);
  else play(bytes, config.rate, 1);
}

function receive(event) {
  state.messagesReceived++;
  if (typeof event.data === "string") {
    if (answerClock(event.data)) return;
    const what = config.format === "protobuf" ? "a binary protobuf frame" : "binary audio";
    show(`a text message where ${what} was expected: ${preview(event.data)}`, "error");
    return;
  }
  receiveBinary(new Uint8Array(event.data));
}

function connect() {
  socket = new WebSocket(config.target);
  socket.binaryType = "arraybuffer";
  socket.onopen = () => {
    state.socket = "open";
  };
  socket.onmessage = receive;
  socket.onerror = () => show(`cannot reach ${config.target}`, "error");
  socket.onclose = (event) => {
    state.socket = "closed";
    state.closeCode = event.code;
    state.closeReason = event.reason;
    stop();
  };
}

// -- audio nodes -----------------------------------------------------------------------

function makePlayback() {
  const node = new AudioWorkletNode(context, "wskit-playback", {
    numberOfInputs: 0,
    numberOfOutputs: 1,
    outputChannelCount: [1],
    processorOptions: { rate: config.rate, targetMs: config.bufferMs, maxMs: config.maxBufferMs },
  });
  node.port.onmessage = (event) => {
    Object.assign(state.playback, event.data);
    if (state.framesReceived) remember(state.depthHistory, event.data.depthMs);
  };
  node.connect(context.destination);
  return node;
}

function makeCapture() {
  const node = new AudioWorkletNode(context, "wskit-capture", {
    numberOfInputs: 1,
    numberOfOutputs: 0,
    processorOptions: { rate: config.rate, frameMs: config.frameMs },
  });
  node.port.onmessage = (event) => onCaptured(event.data);
  return node;
}

/**
 * Capture and play at another rate from now on (the rate box). With `wav` and `protobuf`
 * each frame says its rate, so the server sees the change; raw PCM cannot say it.
 */
function setRate(rate) {
  if (!Number.isInteger((rate * config.frameMs) / 1000)) {
    show(`${config.frameMs} ms at ${rate} Hz is not a whole number of samples: rate unchanged`, "error");
    $("rate").value = String(config.rate);
    return;
  }
  config.rate = rate;
  config.frameSamples = (rate * config.frameMs) / 1000;
  if (context && playback) {
    playback.disconnect();
    playback.port.postMessage({ type: "flush" });
    playback = makePlayback();
  }
  if (microphone) {
    microphone.source.disconnect();
    microphone.node.port.postMessage({ type: "stop" });
    microphone.node = makeCapture();
    microphone.source.connect(microphone.node);
  }
  describe();
  show(`rate: ${rate} Hz from now on${config.format === "raw" ? " (raw PCM does not carry its rate: the server must be told)" : ""}`);
}

function describe() {
  $("format").textContent =
    `${FORMATS[config.format]}, ${config.rate} Hz mono, ${config.frameMs} ms frames (${2 * config.frameSamples} bytes of PCM)` +
    ` · jitter buffer ${config.bufferMs} ms, at most ${config.maxBufferMs} ms` +
    (state.deviceRate ? ` · device ${state.deviceRate} Hz` : "");
}

// -- microphone ------------------------------------------------------------------------

let context = null;
let microphone = null; // {stream, source, node}

async function start() {
  if (microphone || !context) return;
  $("start").disabled = true;
  try {
    await context.resume();
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      throw new Error("the microphone needs a secure context: open the page as http://127.0.0.1 or http://localhost on this machine, or over https");
    }
    const stream = await navigator.mediaDevices.getUserMedia({
      audio: { echoCancellation: config.echoCancellation, noiseSuppression: false, autoGainControl: false },
    });
    const source = context.createMediaStreamSource(stream);
    const node = makeCapture();
    source.connect(node);
    microphone = { stream, source, node };
    state.capture.running = true;
    const settings = stream.getAudioTracks()[0]?.getSettings() || {};
    show(`microphone on: ${settings.sampleRate || context.sampleRate} Hz, ${settings.channelCount || "?"} channel(s), resampled to ${config.rate} Hz mono`);
    $("stop").disabled = false;
  } catch (error) {
    show(`microphone: ${error.message || error}`, "error");
    $("start").disabled = false;
  }
}

function stop() {
  if (!microphone) return;
  microphone.node.port.postMessage({ type: "stop" });
  microphone.source.disconnect();
  for (const track of microphone.stream.getTracks()) track.stop();
  microphone = null;
  state.capture.running = false;
  $("stop").disabled = true;
  $("start").disabled = state.socket === "closed";
  show("microphone off");
}

// -- display ---------------------------------------------------------------------------

function meter(id, db) {
  const shown = Number.isFinite(db) ? `${db.toFixed(1)} dBFS` : "silence";
  $(`${id}-level`).textContent = shown;
  const fraction = Number.isFinite(db) ? Math.max(0, Math.min(1, (db + 60) / 60)) : 0;
  $(`${id}-fill`).style.width = `${(100 * fraction).toFixed(1)}%`;
}

function render() {
  const where = config.target.replace(/\?.*$/, "");
  $("status").textContent =
    state.socket === "open"
      ? `connected to ${where}`
      : state.socket === "closed"
        ? `closed: code ${state.closeCode}${state.closeReason ? ` (${state.closeReason})` : ""}`
        : `connecting to ${where}…`;
  const p = state.playback;
  $("counters").textContent = [
    `sent ${state.framesSent} frames${state.framesDropped ? ` (${state.framesDropped} dropped)` : ""} · received ${state.framesReceived} audio frames${state.framesRejected ? ` (${state.framesRejected} rejected)` : ""}`,
    `played ${p.framesPlayed} · underruns ${p.underruns} · late ${p.lateFrames} · overflow ${p.overflowFrames} · buffer ${p.depthMs.toFixed(0)} ms (${p.state})`,
    `speaker: ${state.speaker}`,
  ].join("\n");
  meter("mic", state.capture.running ? state.capture.peakDbfs : -Infinity);
  meter("speaker", p.peakDbfs ?? -Infinity);
}

async function main() {
  for (const problem of config.problems) show(`bad page URL: ${problem} (using the default)`, "error");
  const rates = $("rate");
  for (const rate of [...new Set([...RATES, config.rate])].sort((a, b) => a - b)) rates.add(new Option(String(rate), String(rate)));
  rates.value = String(config.rate);
  rates.addEventListener("change", () => setRate(Number(rates.value)));
  describe();
  setInterval(render, 100);
  try {
    context = new AudioContext({ latencyHint: "interactive" });
    state.deviceRate = context.sampleRate;
    await context.audioWorklet.addModule("/wskit/capture-worklet.js");
    await context.audioWorklet.addModule("/wskit/playback-worklet.js");
    playback = makePlayback();
    describe();
    const speaker = () => {
      state.speaker = context.state === "running" ? "on" : "blocked by the browser until you click the page";
    };
    context.onstatechange = speaker;
    speaker();
    if (context.state !== "running") {
      show("sound is blocked until you click the page (the browser's autoplay policy)");
      document.addEventListener("click", () => context.resume(), { once: true });
    }
  } catch (error) {
    show(`Web Audio is not available: ${error.message || error}`, "error");
  }
  $("start").addEventListener("click", start);
  $("stop").addEventListener("click", stop);
  $("start").disabled = !context;
  connect();
  if (config.autostart) start();
}

window.wskitAudio = { config, stats, start, stop, setRate };
main();
