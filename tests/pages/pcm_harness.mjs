// Runs wskit/pages/pcm.js under Node for tests/pages/test_pcm_js.py: reads one JSON request on
// stdin, writes one JSON answer on stdout. Bytes travel as hex, 64-bit integers as strings.
// The test copies pcm.js beside this file as pcm.mjs (Node reads .js files as CommonJS).
import * as pcm from "./pcm.mjs";

const hex = (bytes) => Buffer.from(bytes).toString("hex");
const bytes = (text) => new Uint8Array(Buffer.from(text, "hex"));
const plain = (value) => {
  if (typeof value === "bigint") return value.toString();
  if (value instanceof Uint8Array) return { hex: hex(value) };
  if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  return value;
};

function run(request) {
  switch (request.op) {
    case "audio":
      return hex(pcm.encodeAudioFrame(bytes(request.pcm), request.rate, request.channels, request.pts === null ? undefined : BigInt(request.pts)));
    case "text":
      return hex(pcm.encodeTextFrame(request.text));
    case "message":
      return hex(pcm.encodeMessageFrame(request.data));
    case "decode":
      try {
        return plain(pcm.decodeFrame(bytes(request.data)));
      } catch (error) {
        return { error: error.message };
      }
    case "wav":
      return hex(pcm.addWavHeader(bytes(request.pcm), request.rate, request.channels));
    case "parse_wav":
      return plain(pcm.parseWav(bytes(request.data)));
    case "to_int16":
      return Array.from(pcm.floatToInt16(Float32Array.from(request.samples)));
    case "levels":
      return plain(pcm.levels(Float32Array.from(request.samples)));
    case "resample": {
      const { from, to, freq, seconds, amplitude, block } = request;
      const resampler = new pcm.Resampler(from, to);
      const n = Math.round(from * seconds);
      const out = [];
      for (let start = 0; start < n; start += block) {
        const chunk = new Float32Array(Math.min(block, n - start));
        for (let i = 0; i < chunk.length; i++) chunk[i] = amplitude * Math.sin((2 * Math.PI * freq * (start + i)) / from);
        out.push(...resampler.process(chunk));
      }
      return out;
    }
    default:
      throw new Error(`unknown op ${request.op}`);
  }
}

let input = "";
process.stdin.on("data", (chunk) => (input += chunk));
process.stdin.on("end", () => {
  const requests = JSON.parse(input);
  process.stdout.write(JSON.stringify(requests.map(run)));
});
