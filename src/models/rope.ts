// Rotary position embedding tables, as Hugging Face builds them (transformers/modeling_rope_utils.py
// ROPE_INIT_FUNCTIONS and dynamic_rope_update; LlamaRotaryEmbedding.forward in modeling_llama.py):
// inv_freq in float32 for the rope type, angle = float32(inv_freq · position), cos/sin in float32
// times the type's attention scaling. Tables are [T, R/2] (HF repeats them: cat(freqs, freqs)).
import type { RopeConfig } from './decoder_config.js';

const f = Math.fround;

/** Rotary dims R of a head of `headDim` (even). */
export const rotaryDims = (rope: RopeConfig, headDim: number): number => {
  const r = Math.floor(headDim * rope.partialRotaryFactor);
  return r - (r % 2);
};

/** Default inverse frequencies 1 / θ^(2i/R), float32. */
function defaultInvFreq(theta: number, dim: number): number[] {
  return Array.from({ length: dim / 2 }, (_, i) => f(1 / f(Math.pow(theta, f((2 * i) / dim)))));
}

/** inv_freq and the cos/sin scaling for a forward over `seqLen` positions. */
export function ropeFrequencies(rope: RopeConfig, headDim: number, seqLen: number): { invFreq: number[]; scaling: number } {
  const dim = rotaryDims(rope, headDim);
  const factor = rope.factor ?? 1;
  switch (rope.type) {
    case 'default':
      return { invFreq: defaultInvFreq(rope.theta, dim), scaling: 1 };
    case 'linear':
      // _compute_linear_scaling_parameters: inv_freq / factor
      return { invFreq: defaultInvFreq(rope.theta, dim).map((v) => f(v / factor)), scaling: 1 };
    case 'dynamic': {
      // _compute_dynamic_ntk_parameters, recomputed when the sequence outgrows max_position_embeddings
      const maxPos = rope.maxPositionEmbeddings!;
      if (seqLen <= maxPos) return { invFreq: defaultInvFreq(rope.theta, dim), scaling: 1 };
      const base = rope.theta * Math.pow((factor * seqLen) / maxPos - (factor - 1), dim / (dim - 2));
      return { invFreq: defaultInvFreq(base, dim), scaling: 1 };
    }
    case 'llama3': {
      // _compute_llama3_parameters: long wavelengths / factor, short kept, a smooth ramp between
      const old = rope.originalMaxPositionEmbeddings!;
      const lo = rope.lowFreqFactor!, hi = rope.highFreqFactor!;
      const lowWave = old / lo, highWave = old / hi;
      const invFreq = defaultInvFreq(rope.theta, dim).map((v) => {
        const wave = (2 * Math.PI) / v;
        if (wave > lowWave) return f(v / factor);
        if (wave < highWave) return v;
        const smooth = (old / wave - lo) / (hi - lo);
        return f((1 - smooth) * (v / factor) + smooth * v);
      });
      return { invFreq, scaling: 1 };
    }
    case 'yarn': {
      // _compute_yarn_parameters: blend of interpolated and extrapolated frequencies over a linear ramp
      const maxPos = rope.maxPositionEmbeddings!;
      const attention = rope.attentionFactor ?? 0.1 * Math.log(factor) + 1;
      const betaFast = rope.betaFast ?? 32, betaSlow = rope.betaSlow ?? 1;
      const corr = (rot: number) => (dim * Math.log(maxPos / (rot * 2 * Math.PI))) / (2 * Math.log(rope.theta));
      const low = Math.max(Math.floor(corr(betaFast)), 0);
      let high = Math.min(Math.ceil(corr(betaSlow)), dim - 1);
      if (low === high) high += 0.001;
      const invFreq = Array.from({ length: dim / 2 }, (_, i) => {
        const pos = f(Math.pow(rope.theta, f((2 * i) / dim)));
        const extra = f(1 / pos), inter = f(1 / f(factor * pos));
        const ramp = Math.min(1, Math.max(0, f((i - low) / (high - low))));
        const ex = f(1 - ramp);
        return f(f(inter * f(1 - ex)) + f(extra * ex));
      });
      return { invFreq, scaling: attention };
    }
    case 'longrope': {
      // _compute_longrope_parameters + longrope_frequency_update: long factors past the original length
      const orig = rope.originalMaxPositionEmbeddings ?? rope.maxPositionEmbeddings!;
      const expanded = rope.originalMaxPositionEmbeddings !== undefined ? rope.maxPositionEmbeddings! : orig * factor;
      const ratio = expanded / orig;
      const attention = rope.attentionFactor ?? (ratio <= 1 ? 1 : Math.sqrt(1 + Math.log(ratio) / Math.log(orig)));
      const ext = seqLen > orig ? rope.longFactor! : rope.shortFactor!;
      if (ext.length !== dim / 2) throw new Error(`longrope: ${seqLen > orig ? 'long' : 'short'}_factor has ${ext.length} entries, expected rotary_dim / 2 = ${dim / 2}`);
      const invFreq = ext.map((e, i) => f(1 / f(f(e) * f(Math.pow(rope.theta, f((2 * i) / dim))))));
      return { invFreq, scaling: attention };
    }
  }
}

/** cos and sin tables [T, R/2] for positions 0..T−1. */
export function ropeTables(rope: RopeConfig, headDim: number, t: number): { cos: Float32Array; sin: Float32Array; half: number } {
  const { invFreq, scaling } = ropeFrequencies(rope, headDim, t);
  const half = invFreq.length;
  const cos = new Float32Array(t * half), sin = new Float32Array(t * half);
  const s = f(scaling);
  for (let p = 0; p < t; p++) {
    for (let i = 0; i < half; i++) {
      const angle = f(invFreq[i] * p);
      cos[p * half + i] = f(f(Math.cos(angle)) * s);
      sin[p * half + i] = f(f(Math.sin(angle)) * s);
    }
  }
  return { cos, sin, half };
}
