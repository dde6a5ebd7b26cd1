// The random numbers of the browser's workers: a seeded generator, xoshiro128** (Blackman & Vigna) seeded by
// splitmix32, or splitmix32 itself, whose same seed gives the same numbers in any browser and in dgm_core.xoshiro
// (they are not torch's), and a tape that hands over the very numbers torch's seeded generator gave dgm_core, so the
// parity tests can replay dgm_core's draws. All have the same three calls: uniform(n) float32 in [0, 1), normal(n)
// float32, uniform64(n) float64 in [0, 1).

const rotl = (v, k) => ((v << k) | (v >>> (32 - k))) >>> 0;

// splitmix32: a seed's i-th output (from 1) is mix(seed + i * 0x9e3779b9), period 2^32 (dgm_core.xoshiro.SplitMix)
const mix = (x) => {
  let z = x;
  z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
  z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
  return (z ^ (z >>> 15)) >>> 0;
};
function splitmixNext(seed) {
  let x = seed >>> 0;
  return () => mix(x = (x + 0x9e3779b9) >>> 0);
}

// a generator's three calls from its next 32-bit output: uniform(n) float32 in [0, 1) (24 bits, as torch's float32
// draws), normal(n) by Box-Muller, uniform64(n) in [0, 1) (53 bits)
function draws(next) {
  const u24 = () => (next() >>> 8) / 16777216;
  return {
    uniform: (n) => { const a = new Float32Array(n); for (let i = 0; i < n; i++) a[i] = u24(); return a; },
    normal: (n) => {
      const a = new Float32Array(n);
      for (let i = 0; i < n; i += 2) {
        const r = Math.sqrt(-2 * Math.log(1 - u24())); const t = 2 * Math.PI * u24();
        a[i] = r * Math.cos(t);
        if (i + 1 < n) a[i + 1] = r * Math.sin(t);
      }
      return a;
    },
    uniform64: (n) => {
      const a = new Float64Array(n);
      for (let i = 0; i < n; i++) a[i] = ((next() >>> 5) * 67108864 + (next() >>> 6)) / 9007199254740992;
      return a;
    },
  };
}

// xoshiro128** seeded by splitmix32's first four outputs: the workers' generator
export function seeded(seed) {
  const split = splitmixNext(seed);
  const s = [split(), split(), split(), split()];
  return draws(() => {
    const r = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0;
    const t = s[1] << 9;
    s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3]; s[2] ^= t; s[3] = rotl(s[3], 11);
    return r;
  });
}

// splitmix32 itself: each output a hash of its index, so dgm_core draws a whole array at once (the tabular trainer's)
export const splitmix = (seed) => draws(splitmixNext(seed));

// the draws handed over, one chunk per call ({kind: 'uniform' | 'normal' | 'uniform64', data}), each checked against
// what the sampler asks for; `left()`: the chunks not used yet
export function tape(chunks, what) {
  let i = 0;
  const take = (kind, n) => {
    const c = chunks[i++];
    if (!c || c.kind !== kind || c.data.length !== n) {
      throw new Error(`${what}: draw ${i} should be ${n} ${kind} numbers, the tape has ` +
        (c ? `${c.data.length} ${c.kind}` : 'nothing left'));
    }
    return kind === 'uniform64' ? Float64Array.from(c.data) : Float32Array.from(c.data);
  };
  return { uniform: (n) => take('uniform', n), normal: (n) => take('normal', n), uniform64: (n) => take('uniform64', n),
    left: () => chunks.length - i };
}
