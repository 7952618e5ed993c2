// wskit audio page, capture side: microphone blocks -> mono -> stream rate -> int16 frames.
//
// Runs on the audio rendering thread. Each 128-sample block of the microphone (at the
// device's rate, any channel count) is mixed to mono, resampled to the rate the page
// asked for and cut into frames of `frameMs`. Each full frame goes to the page as int16
// samples (its buffer transferred, not copied) with `stamp`: Date.now() when the worklet
// completed it, the page's clock that the server can compare with its own (see audio.js,
// "clock"). The microphone's own input latency comes before that and is not included.

import { Resampler, floatToInt16 } from "./pcm.js";

class CaptureProcessor extends AudioWorkletProcessor {
  constructor(options) {
    super();
    const { rate, frameMs } = options.processorOptions;
    this.rate = rate;
    this.resampler = new Resampler(sampleRate, rate);
    this.frameSamples = Math.round((rate * frameMs) / 1000);
    this.pending = new Float32Array(this.frameSamples);
    this.fill = 0;
    this.seq = 0;
    this.running = true;
    this.port.onmessage = (event) => {
      if (event.data && event.data.type === "stop") this.running = false;
    };
  }

  process(inputs) {
    const channels = inputs[0];
    if (!this.running) return false;
    if (!channels || channels.length === 0) return true; // no input connected (yet)
    const length = channels[0].length;
    const mono = new Float32Array(length);
    for (const channel of channels) for (let i = 0; i < length; i++) mono[i] += channel[i];
    if (channels.length > 1) for (let i = 0; i < length; i++) mono[i] /= channels.length;
    const out = this.resampler.process(mono);
    let offset = 0;
    while (offset < out.length) {
      const take = Math.min(out.length - offset, this.frameSamples - this.fill);
      this.pending.set(out.subarray(offset, offset + take), this.fill);
      this.fill += take;
      offset += take;
      if (this.fill === this.frameSamples) {
        const samples = floatToInt16(this.pending);
        this.port.postMessage({ type: "frame", samples, rate: this.rate, stamp: Date.now(), seq: this.seq++ }, [samples.buffer]);
        this.fill = 0;
      }
    }
    return true;
  }
}

registerProcessor("wskit-capture", CaptureProcessor);
