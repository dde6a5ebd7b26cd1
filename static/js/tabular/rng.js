// The seeded generator of the browser's tabular trainer: splitmix32 (kit/seeded_rng.js's splitmix: Box-Muller
// normals), whose numbers dgm_core/xoshiro.py's SplitMix draws from the same seed, a whole array at once, so dgm_core
// trains a table on a browser's very draws, step for step; plus rows(n, size): batch rows, floor(u * n) with u from
// uniform64.
import { splitmix } from '../kit/seeded_rng.js';

export function seeded(seed) {
  const g = splitmix(seed);
  return { ...g, rows: (n, size) => Int32Array.from(g.uniform64(size), (u) => Math.min(n - 1, Math.floor(u * n))) };
}
