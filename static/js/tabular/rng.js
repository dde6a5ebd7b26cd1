// The seeded generator of the browser's tabular trainer: the workers' own (kit/seeded_rng.js: xoshiro128** seeded by
// splitmix32, Box-Muller normals), whose numbers dgm_core/xoshiro.py draws from the same seed, so dgm_core can replay
// a browser's training step for step; plus rows(n, size): batch rows, floor(u * n) with u from uniform64.
import { seeded as kitSeeded } from '../kit/seeded_rng.js';

export function seeded(seed) {
  const g = kitSeeded(seed);
  return { ...g, rows: (n, size) => Int32Array.from(g.uniform64(size), (u) => Math.min(n - 1, Math.floor(u * n))) };
}
