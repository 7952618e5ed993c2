// wskit audio page, playback side: a jitter buffer in front of the speaker.
//
// The page posts each received audio frame here as float samples at the stream's rate;
// they are resampled to the device's rate and queued. Playback starts once `targetMs`
// of audio is queued and goes on while there is audio. When the queue runs dry the
// output is silence and the buffer refills to `targetMs` before playing again; if audio
// then arrives, that dry spell was an *underrun* (a gap a listener hears) and the frame
// that ended it a *late frame*; the end of a stream is not an underrun. A frame that
// would take the queue past `maxMs` first drops the oldest whole frames down to
// `targetMs` (counted in `overflowFrames`), so latency stays bounded.
//
// Every 50 ms of audio the processor posts its counters and the level of what it
// played over that stretch (RMS and peak in dBFS, a full-scale sine peaking at 0 dBFS).

import { Resampler } from "./pcm.js";

const REPORT_SECONDS = 0.05;

class PlaybackProcessor extends AudioWorkletProcessor {
  constructor(options) {
    super();
    const { rate, targetMs, maxMs } = options.processorOptions;
    this.rate = rate;
    this.resampler = new Resampler(rate, sampleRate);
    this.target = Math.round((targetMs * sampleRate) / 1000);
    this.max = Math.max(this.target + 128, Math.round((maxMs * sampleRate) / 1000));
    this.queue = new Float32Array(this.max + sampleRate); // room for one frame beyond max, however long
    this.head = 0; // ring buffer of output samples
    this.depth = 0;
    this.frames = []; // output-sample lengths of the queued frames, oldest first
    this.state = "idle"; // idle -> buffering -> playing -> starved -> (buffering | idle)
    this.counters = { framesQueued: 0, framesPlayed: 0, underruns: 0, lateFrames: 0, overflowFrames: 0, samplesPlayed: 0 };
    this.window = { sum: 0, peak: 0, count: 0 };
    this.loudest = { rmsDbfs: -Infinity, peakDbfs: -Infinity };
    this.last = { rmsDbfs: -Infinity, peakDbfs: -Infinity };
    this.reportEvery = Math.round(REPORT_SECONDS * sampleRate);
    this.sinceReport = 0;
    this.port.onmessage = (event) => this.receive(event.data);
  }

  receive(message) {
    if (message.type === "flush") {
      this.head = this.depth = 0;
      this.frames = [];
      this.state = "idle";
      return;
    }
    if (message.type !== "frame") return;
    const samples = this.resampler.process(message.samples);
    if (this.depth + samples.length > this.max) {
      while (this.frames.length && this.depth + samples.length > this.target) {
        const dropped = this.frames.shift();
        this.head = (this.head + dropped) % this.queue.length;
        this.depth -= dropped;
        this.counters.overflowFrames++;
      }
    }
    const n = Math.min(samples.length, this.queue.length - this.depth);
    let tail = (this.head + this.depth) % this.queue.length;
    for (let i = 0; i < n; i++) {
      this.queue[tail] = samples[i];
      tail = tail + 1 === this.queue.length ? 0 : tail + 1;
    }
    this.depth += n;
    this.frames.push(n);
    this.counters.framesQueued++;
    if (this.state === "starved") {
      this.counters.underruns++;
      this.counters.lateFrames++;
      this.state = "buffering";
    } else if (this.state === "idle") {
      this.state = "buffering";
    }
    if (this.state === "buffering" && this.depth >= this.target) this.state = "playing";
  }

  process(inputs, outputs) {
    const output = outputs[0];
    const out = output[0];
    const length = out.length;
    let played = 0;
    if (this.state === "playing") {
      played = Math.min(length, this.depth);
      for (let i = 0; i < played; i++) {
        out[i] = this.queue[this.head];
        this.head = this.head + 1 === this.queue.length ? 0 : this.head + 1;
      }
      this.depth -= played;
      this.counters.samplesPlayed += played;
      let left = played;
      while (left > 0 && this.frames.length) {
        const take = Math.min(left, this.frames[0]);
        this.frames[0] -= take;
        left -= take;
        if (this.frames[0] === 0) {
          this.frames.shift();
          this.counters.framesPlayed++;
        }
      }
      if (this.depth === 0) this.state = "starved";
    }
    out.fill(0, played);
    for (let c = 1; c < output.length; c++) output[c].set(out);
    const w = this.window;
    for (let i = 0; i < played; i++) {
      const v = out[i];
      w.sum += v * v;
      const a = v < 0 ? -v : v;
      if (a > w.peak) w.peak = a;
    }
    w.count += length;
    this.sinceReport += length;
    if (this.sinceReport >= this.reportEvery) this.report();
    return true;
  }

  report() {
    const w = this.window;
    const db = (x) => (x > 0 ? 20 * Math.log10(x) : -Infinity);
    this.last = { rmsDbfs: db(Math.sqrt(w.sum / Math.max(1, w.count))), peakDbfs: db(w.peak) };
    if (this.last.rmsDbfs > this.loudest.rmsDbfs) this.loudest.rmsDbfs = this.last.rmsDbfs;
    if (this.last.peakDbfs > this.loudest.peakDbfs) this.loudest.peakDbfs = this.last.peakDbfs;
    this.port.postMessage({
      type: "stats",
      state: this.state,
      depthMs: (1000 * this.depth) / sampleRate,
      ...this.counters,
      rmsDbfs: this.last.rmsDbfs,
      peakDbfs: this.last.peakDbfs,
      loudestRmsDbfs: this.loudest.rmsDbfs,
      loudestPeakDbfs: this.loudest.peakDbfs,
    });
    this.window = { sum: 0, peak: 0, count: 0 };
    this.sinceReport = 0;
  }
}

registerProcessor("wskit-playback", PlaybackProcessor);
