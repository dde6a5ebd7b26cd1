// The seeded generator of the browser's tabular trainer: xoshiro128** (Blackman & Vigna) seeded by splitmix32, the
// numbers dgm_core/xoshiro.py draws from the same seed (so dgm_core can replay a browser's training step for step).
// uniform(n): float32 in [0, 1), 24 bits; uniform64(n): float64 in [0, 1), 53 bits; normal(n): Box-Muller on pairs of
// 24-bit uniforms, float64 maths stored as float32; rows(n, size): floor(u * n) with u from uniform64.

const rotl = (v, k) => ((v << k) | (v >>> (32 - k))) >>> 0;

export function seeded(seed) {
  let x = seed >>> 0;
  const split = () => {
    x = (x + 0x9e3779b9) >>> 0;
    let z = x;
    z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
    z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
    return (z ^ (z >>> 15)) >>> 0;
  };
  const s = [split(), split(), split(), split()];
  const next = () => {
    const r = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0;
    const t = s[1] << 9;
    s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3]; s[2] ^= t; s[3] = rotl(s[3], 11);
    return r;
  };
  const u24 = () => (next() >>> 8) / 16777216;
  const uniform64 = (n) => {
    const a = new Float64Array(n);
    for (let i = 0; i < n; i++) a[i] = ((next() >>> 5) * 67108864 + (next() >>> 6)) / 9007199254740992;
    return a;
  };
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
    uniform64,
    rows: (n, size) => Int32Array.from(uniform64(size), (u) => Math.min(n - 1, Math.floor(u * n))),
  };
}
