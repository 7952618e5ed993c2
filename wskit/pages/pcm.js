// PCM and wire formats for wskit's audio page: pure functions, no DOM, no Web Audio.
//
// The page, both AudioWorklets and the Node tests import this one module, so what the
// tests check byte for byte against wskit's Python serializers is what the browser sends.
//
// - int16 <-> float samples (x / 32768, rounded and clipped on the way back);
// - a streaming windowed-sinc resampler (device rate <-> stream rate);
// - the 44-byte WAV header Python's `wave` module writes (wskit.audio.add_header);
// - Pipecat's protobuf frames (frames.proto, proto3): Frame{oneof frame {TextFrame text = 1;
//   AudioRawFrame audio = 2; TranscriptionFrame transcription = 3; MessageFrame message = 4;
//   InterruptionFrame interruption = 5}}, fields in number order, proto3 defaults omitted,
//   exactly as wskit.ProtobufFrameSerializer and Pipecat's serializer write them;
// - RMS and peak levels in dBFS (a full-scale sine peaks at 0 dBFS, as in wskit.plot).

// -- samples ---------------------------------------------------------------------------

/** Float samples in [-1, 1) to int16 (x * 32768, rounded, clipped). */
export function floatToInt16(samples) {
  const out = new Int16Array(samples.length);
  for (let i = 0; i < samples.length; i++) {
    const v = Math.round(samples[i] * 32768);
    out[i] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
  }
  return out;
}

/** int16 samples to float (x / 32768). */
export function int16ToFloat(samples) {
  const out = new Float32Array(samples.length);
  for (let i = 0; i < samples.length; i++) out[i] = samples[i] / 32768;
  return out;
}

/** Little-endian int16 PCM bytes to mono float samples (channels averaged). */
export function pcmToMonoFloat(bytes, numChannels = 1) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const frames = Math.floor(bytes.byteLength / (2 * numChannels));
  const out = new Float32Array(frames);
  for (let i = 0; i < frames; i++) {
    let sum = 0;
    for (let c = 0; c < numChannels; c++) sum += view.getInt16(2 * (i * numChannels + c), true);
    out[i] = sum / numChannels / 32768;
  }
  return out;
}

/** int16 samples as little-endian bytes (a copy: the wire is little-endian on every machine). */
export function int16ToBytes(samples) {
  const out = new Uint8Array(samples.length * 2);
  const view = new DataView(out.buffer);
  for (let i = 0; i < samples.length; i++) view.setInt16(2 * i, samples[i], true);
  return out;
}

/** RMS and peak of float samples in dBFS (-Infinity for silence or no samples). */
export function levels(samples) {
  let sum = 0;
  let peak = 0;
  for (let i = 0; i < samples.length; i++) {
    const v = samples[i];
    sum += v * v;
    const a = v < 0 ? -v : v;
    if (a > peak) peak = a;
  }
  const rms = samples.length ? Math.sqrt(sum / samples.length) : 0;
  return { rmsDbfs: dbfs(rms), peakDbfs: dbfs(peak) };
}

/** 20·log10 of an amplitude, -Infinity for 0. */
export function dbfs(amplitude) {
  return amplitude > 0 ? 20 * Math.log10(amplitude) : -Infinity;
}

// -- resampling ------------------------------------------------------------------------

const TABLE_STEPS = 512; // kernel samples per input sample; linear interpolation between them

/**
 * A streaming resampler: windowed sinc (Blackman window), cutoff at 90 % of the lower
 * Nyquist frequency, `zeroCrossings` lobes each side. Feed blocks of any size with
 * `process(samples)`; the output keeps its phase across blocks and its first sample is
 * input time 0. Each output sample waits for the kernel's lookahead, `zeroCrossings` / 0.9
 * periods of the lower rate (0.8 ms at 16 kHz). Equal rates pass samples through unchanged.
 */
export class Resampler {
  constructor(fromRate, toRate, zeroCrossings = 12) {
    if (!(fromRate > 0 && toRate > 0)) throw new Error(`sample rates must be positive, got ${fromRate} -> ${toRate}`);
    this.fromRate = fromRate;
    this.toRate = toRate;
    this.step = fromRate / toRate; // input samples per output sample
    if (fromRate === toRate) return;
    this.cutoff = 0.9 * Math.min(1, toRate / fromRate); // of the input's Nyquist
    this.half = Math.ceil(zeroCrossings / this.cutoff); // kernel half-width, in input samples
    const size = this.half * TABLE_STEPS + 2;
    this.table = new Float32Array(size);
    for (let i = 0; i < size; i++) {
      const t = i / TABLE_STEPS; // input samples from the kernel's centre
      const x = Math.PI * this.cutoff * t;
      const sinc = t === 0 ? 1 : Math.sin(x) / x;
      const w = t >= this.half ? 0 : 0.42 + 0.5 * Math.cos((Math.PI * t) / this.half) + 0.08 * Math.cos((2 * Math.PI * t) / this.half);
      this.table[i] = this.cutoff * sinc * w;
    }
    this.buffer = new Float32Array(4096);
    this.length = this.half; // `half` zeros of history before the first sample
    this.position = this.half; // of the next output sample, in buffer coordinates
  }

  /** Resample one block; returns the output samples it completes (a new Float32Array). */
  process(samples) {
    if (this.fromRate === this.toRate) return Float32Array.from(samples);
    if (this.length + samples.length > this.buffer.length) {
      const grown = new Float32Array(Math.max(2 * this.buffer.length, this.length + samples.length));
      grown.set(this.buffer.subarray(0, this.length));
      this.buffer = grown;
    }
    this.buffer.set(samples, this.length);
    this.length += samples.length;
    const half = this.half;
    const last = this.length - 1 - half; // the last centre whose kernel has all its samples
    const out = new Float32Array(Math.max(0, Math.ceil((last + 1 - this.position) / this.step) + 1));
    const buf = this.buffer;
    const table = this.table;
    let pos = this.position;
    let n = 0;
    while (Math.floor(pos) <= last) {
      const centre = Math.floor(pos);
      let acc = 0;
      for (let k = centre - half + 1; k <= centre + half; k++) {
        let t = (pos - k) * TABLE_STEPS;
        if (t < 0) t = -t;
        const i = t | 0;
        acc += buf[k] * (table[i] + (table[i + 1] - table[i]) * (t - i));
      }
      out[n++] = acc;
      pos += this.step;
    }
    // keep `half` samples of history before the next output position
    const keepFrom = Math.max(0, Math.floor(pos) - half);
    buf.copyWithin(0, keepFrom, this.length);
    this.length -= keepFrom;
    this.position = pos - keepFrom;
    return out.subarray(0, n);
  }
}

// -- WAV -------------------------------------------------------------------------------

/** `pcm` (int16 little-endian bytes) as a whole WAV file: the 44-byte header Python's `wave` writes. */
export function addWavHeader(pcm, sampleRate, numChannels = 1) {
  const out = new Uint8Array(44 + pcm.byteLength);
  const view = new DataView(out.buffer);
  const ascii = (offset, text) => {
    for (let i = 0; i < text.length; i++) out[offset + i] = text.charCodeAt(i);
  };
  ascii(0, "RIFF");
  view.setUint32(4, 36 + pcm.byteLength, true);
  ascii(8, "WAVE");
  ascii(12, "fmt ");
  view.setUint32(16, 16, true); // fmt chunk size
  view.setUint16(20, 1, true); // PCM
  view.setUint16(22, numChannels, true);
  view.setUint32(24, sampleRate, true);
  view.setUint32(28, sampleRate * numChannels * 2, true); // bytes per second
  view.setUint16(32, numChannels * 2, true); // block align
  view.setUint16(34, 16, true); // bits per sample
  ascii(36, "data");
  view.setUint32(40, pcm.byteLength, true);
  out.set(pcm, 44);
  return out;
}

/**
 * `{pcm, sampleRate, numChannels}` of a WAV file (chunks walked, 16-bit PCM only), or
 * `null` when `bytes` does not start with a RIFF/WAVE header. Throws on a broken one.
 */
export function parseWav(bytes) {
  const tag = (offset) => String.fromCharCode(...bytes.subarray(offset, offset + 4));
  if (bytes.byteLength < 12 || tag(0) !== "RIFF" || tag(8) !== "WAVE") return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = 12;
  let format = null;
  while (offset + 8 <= bytes.byteLength) {
    const id = tag(offset);
    const size = view.getUint32(offset + 4, true);
    const body = offset + 8;
    if (id === "fmt ") {
      if (size < 16 || body + 16 > bytes.byteLength) throw new Error("truncated WAV fmt chunk");
      format = {
        code: view.getUint16(body, true),
        numChannels: view.getUint16(body + 2, true),
        sampleRate: view.getUint32(body + 4, true),
        bits: view.getUint16(body + 14, true),
      };
    } else if (id === "data") {
      if (!format) throw new Error("WAV data chunk before its fmt chunk");
      if (format.code !== 1 || format.bits !== 16) throw new Error(`WAV is not 16-bit PCM (format ${format.code}, ${format.bits} bits)`);
      if (!(format.sampleRate > 0 && format.numChannels > 0)) throw new Error("WAV header has a zero rate or channel count");
      const end = Math.min(bytes.byteLength, body + size);
      return { pcm: bytes.subarray(body, end), sampleRate: format.sampleRate, numChannels: format.numChannels };
    }
    offset = body + size + (size & 1);
  }
  throw new Error("WAV file without a data chunk");
}

// -- protobuf --------------------------------------------------------------------------

const VARINT = 0;
const LEN = 2;

/** A growing byte buffer with protobuf's writing primitives. */
class Writer {
  constructor() {
    this.bytes = new Uint8Array(64);
    this.length = 0;
  }
  reserve(n) {
    if (this.length + n <= this.bytes.length) return;
    const grown = new Uint8Array(Math.max(2 * this.bytes.length, this.length + n));
    grown.set(this.bytes.subarray(0, this.length));
    this.bytes = grown;
  }
  varint(value) {
    let v = BigInt.asUintN(64, BigInt(value));
    this.reserve(10);
    while (v >= 0x80n) {
      this.bytes[this.length++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    this.bytes[this.length++] = Number(v);
  }
  tag(number, wire) {
    this.varint((number << 3) | wire);
  }
  raw(bytes) {
    this.reserve(bytes.length);
    this.bytes.set(bytes, this.length);
    this.length += bytes.length;
  }
  lengthDelimited(number, bytes) {
    this.tag(number, LEN);
    this.varint(bytes.length);
    this.raw(bytes);
  }
  /** A proto3 scalar: left out when it is the default (0, "", empty bytes). */
  uint(number, value) {
    if (value === undefined || value === null || BigInt(value) === 0n) return;
    this.tag(number, VARINT);
    this.varint(value);
  }
  string(number, text) {
    if (text) this.lengthDelimited(number, new TextEncoder().encode(text));
  }
  bytesField(number, bytes) {
    if (bytes && bytes.length) this.lengthDelimited(number, bytes);
  }
  done() {
    return this.bytes.slice(0, this.length);
  }
}

function frame(number, body) {
  const outer = new Writer();
  outer.lengthDelimited(number, body.done());
  return outer.done();
}

/**
 * A pipecat.Frame holding an AudioRawFrame: audio (int16 little-endian bytes),
 * sample_rate, num_channels, and `pts` (nanoseconds, a BigInt or number) when given.
 * `id` and `name` are left out, as Pipecat's and wskit's serializers leave them out.
 */
export function encodeAudioFrame(audio, sampleRate, numChannels = 1, pts = undefined) {
  const body = new Writer();
  body.bytesField(3, audio);
  body.uint(4, sampleRate);
  body.uint(5, numChannels);
  if (pts !== undefined && pts !== null) {
    body.tag(6, VARINT); // proto3 `optional`: sent even when 0
    body.varint(pts);
  }
  return frame(2, body);
}

/** A pipecat.Frame holding a TextFrame. */
export function encodeTextFrame(text) {
  const body = new Writer();
  body.string(3, text);
  return frame(1, body);
}

/** A pipecat.Frame holding a MessageFrame: `data` is JSON text. */
export function encodeMessageFrame(data) {
  const body = new Writer();
  body.string(1, data);
  return frame(4, body);
}

/** One varint at `pos`: `[value, next]`; a Number below 2**53, a BigInt above. */
function readVarint(bytes, pos, what) {
  let result = 0n;
  let shift = 0n;
  for (let i = pos; i < Math.min(pos + 10, bytes.length); i++) {
    const byte = bytes[i];
    result |= BigInt(byte & 0x7f) << shift;
    if (byte < 0x80) {
      if (result >= 1n << 64n) throw new Error(`${what} at byte ${pos}: varint exceeds 64 bits`);
      return [result <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(result) : result, i + 1];
    }
    shift += 7n;
  }
  if (bytes.length - pos >= 10) throw new Error(`${what} at byte ${pos}: varint longer than 10 bytes`);
  throw new Error(`truncated: ${what} at byte ${pos} ends mid-varint`);
}

/** The fields of one message as a Map {number: Number | BigInt | Uint8Array}, last value winning. */
export function decodeFields(bytes, message = "Frame") {
  const fields = new Map();
  let pos = 0;
  while (pos < bytes.length) {
    const start = pos;
    let tag;
    [tag, pos] = readVarint(bytes, pos, `${message} field tag`);
    const number = Number(BigInt(tag) >> 3n);
    const wire = Number(BigInt(tag) & 7n);
    if (number === 0) throw new Error(`${message}: field number 0 at byte ${start} is invalid`);
    if (wire === VARINT) {
      let value;
      [value, pos] = readVarint(bytes, pos, `${message} field ${number}`);
      fields.set(number, value);
    } else if (wire === LEN) {
      let length;
      [length, pos] = readVarint(bytes, pos, `${message} field ${number} length`);
      if (typeof length !== "number" || pos + length > bytes.length) {
        throw new Error(`truncated: ${message} field ${number} announces ${length} bytes, ${bytes.length - pos} remain`);
      }
      fields.set(number, bytes.subarray(pos, pos + length));
      pos += length;
    } else if (wire === 1 || wire === 5) {
      const size = wire === 1 ? 8 : 4;
      if (pos + size > bytes.length) throw new Error(`truncated: ${message} field ${number} needs ${size} bytes`);
      pos += size;
    } else {
      throw new Error(`${message} field ${number}: unsupported wire type ${wire} at byte ${start}`);
    }
  }
  return fields;
}

let decoder = null; // made on first use: AudioWorkletGlobalScope has no TextDecoder


function text(fields, number, message) {
  const value = fields.get(number);
  if (!(value instanceof Uint8Array)) return "";
  try {
    decoder ??= new TextDecoder("utf-8", { fatal: true });
    return decoder.decode(value);
  } catch {
    throw new Error(`${message} field ${number} is not valid UTF-8`);
  }
}

function uint(fields, number) {
  const value = fields.get(number);
  return typeof value === "number" || typeof value === "bigint" ? value : 0;
}

const KINDS = ["text", "audio", "transcription", "message", "interruption"];

/**
 * One pipecat.Frame: `{type: "audio", audio, sampleRate, numChannels, pts}`,
 * `{type: "text", text}`, `{type: "transcription", text, userId, timestamp}`,
 * `{type: "message", data}` (JSON text), `{type: "interruption"}`, or `{type: null}`
 * for an empty frame or a kind newer than this schema. Unknown fields are skipped.
 * Throws an Error saying what is wrong and where.
 */
export function decodeFrame(bytes) {
  const outer = decodeFields(bytes, "Frame");
  let which = null;
  for (const [number, value] of outer) {
    if (number >= 1 && number <= 5 && value instanceof Uint8Array) which = number; // the oneof: last one wins
  }
  if (which === null) return { type: null };
  const type = KINDS[which - 1];
  const name = ["TextFrame", "AudioRawFrame", "TranscriptionFrame", "MessageFrame", "InterruptionFrame"][which - 1];
  const fields = decodeFields(outer.get(which), name);
  switch (type) {
    case "audio": {
      const audio = fields.get(3) instanceof Uint8Array ? fields.get(3) : new Uint8Array(0);
      const sampleRate = Number(uint(fields, 4));
      const parsed = { type, audio, sampleRate, numChannels: Number(uint(fields, 5)) || 1, pts: fields.has(6) ? uint(fields, 6) : null };
      const wav = parseWav(audio);
      if (wav) Object.assign(parsed, { audio: wav.pcm, sampleRate: wav.sampleRate, numChannels: wav.numChannels });
      else if (sampleRate === 0) throw new Error("AudioRawFrame has sample_rate 0 (missing or zero)");
      return parsed;
    }
    case "text":
      return { type, text: text(fields, 3, name) };
    case "transcription":
      return { type, text: text(fields, 3, name), userId: text(fields, 4, name), timestamp: text(fields, 5, name) };
    case "message":
      return { type, data: text(fields, 1, name) };
    default:
      return { type };
  }
}
