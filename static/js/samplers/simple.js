// The model-free fills (dgm_core/samplers/simple.py), in float32 as torch computes them: each plane's observed mean,
// and a harmonic fill by red-black SOR.

const f32 = Math.fround;

// each (channel) plane's mean of its observed pixels; 0.5 where a plane has none
function observedMeans(x, obs, C, HW) {
  return Array.from({ length: C }, (_, c) => {
    let n = 0; let t = 0;
    for (let j = c * HW; j < (c + 1) * HW; j++) if (obs[j]) { n += 1; t += x[j]; }
    return n ? f32(t / n) : 0.5;
  });
}

function point(method, filled, job, diagnostics) {
  return { method, mean: filled, std: new Float32Array(filled.length), samples: Float32Array.from(filled), n_draws: 1,
    diagnostics };
}

// every missing pixel gets its plane's observed mean (mean_fill)
export function meanFill(job) {
  const [C, H, W] = job.shape; const HW = H * W;
  const means = observedMeans(job.image, job.observed, C, HW);
  const filled = Float32Array.from(job.image, (v, j) => (job.observed[j] ? v : means[Math.floor(j / HW)]));
  return point('mean_fill', filled, job, { fill: 'observed mean' });
}

// harmonic fill by red-black SOR with a front of neighbour averages sweeping in first (neighbour_fill)
export function neighbourFill(job) {
  const [C, H, W] = job.shape; const HW = H * W; const D = C * HW;
  const obs = job.observed; const x = job.image;
  let v = Float32Array.from(x, (val, j) => (obs[j] ? val : 0));
  const reached = Uint8Array.from(obs);
  const colour = (k) => Uint8Array.from(obs, (o, j) => { const r = Math.floor((j % HW) / W); const c = j % W;
    return !o && (r + c) % 2 === k ? 1 : 0; });
  const colours = [colour(0), colour(1)];
  const omega = f32(2 / (1 + Math.sin(Math.PI / (Math.max(H, W) + 1))));
  const at = (a, p, r, c) => (r < 0 || r >= H || c < 0 || c >= W ? 0 : a[p * HW + r * W + c]);
  const neighbours = (a, j) => {  // the 4 neighbours' sum, zero beyond the border, added in torch's order
    const p = Math.floor(j / HW); const r = Math.floor((j % HW) / W); const c = j % W;
    return f32(f32(f32(at(a, p, r - 1, c) + at(a, p, r + 1, c)) + at(a, p, r, c - 1)) + at(a, p, r, c + 1));
  };
  const iterations = 2 * (H + W);
  let sweeps = 0; let change = Infinity;
  while (sweeps < iterations) {
    let changeT = 0;
    let before = 0;
    for (const r of reached) before += r;
    for (const update of colours) {
      const weighted = Float32Array.from(v, (val, j) => (reached[j] ? val : 0));
      const wt = Float32Array.from(reached);
      const next = Float32Array.from(v);
      const newly = [];
      for (let j = 0; j < D; j++) {
        if (!update[j]) continue;
        const den = neighbours(wt, j);
        if (!(den > 0)) continue;
        const avg = f32(neighbours(weighted, j) / Math.max(den, 1));
        const val = reached[j] ? f32(v[j] + f32(omega * f32(avg - v[j]))) : avg;
        if (reached[j]) changeT = Math.max(changeT, Math.abs(f32(val - v[j])));
        next[j] = val;
        newly.push(j);
      }
      v = next;
      for (const j of newly) reached[j] = 1;
    }
    sweeps += 1;
    change = changeT;
    let after = 0;
    for (const r of reached) after += r;
    if (change <= 1e-6 && after === before) break;
  }
  const means = observedMeans(x, obs, C, HW);
  let unreached = 0; let lo = Infinity; let hi = -Infinity;
  for (let j = 0; j < D; j++) {
    if (!reached[j]) { v[j] = means[Math.floor(j / HW)]; unreached += 1; }
    if (obs[j]) { lo = Math.min(lo, x[j]); hi = Math.max(hi, x[j]); }
  }
  if (lo <= hi) for (let j = 0; j < D; j++) v[j] = Math.min(Math.max(v[j], lo), hi);
  for (let j = 0; j < D; j++) if (obs[j]) v[j] = x[j];
  return point('neighbour_fill', v, job, { sweeps, max_change: change, unreached });
}

export const FILLS = { mean_fill: meanFill, neighbour_fill: neighbourFill };
