// The inpainting page's scores on the missing pixels (dgm_core/metrics.py; dgm_core/demos/inpainting.py: score and
// _log_lik_missing), as the browser's samplers report them.

export function scores(pred, truth, miss, binary) {
  let tp = 0; let np = 0; let nt = 0; let right = 0; let se = 0; let n = 0;
  for (let j = 0; j < pred.length; j++) {
    if (!miss[j]) continue;
    const p = pred[j] > 0.5; const t = truth[j] > 0.5;
    tp += p && t; np += p; nt += t; right += p === t; n += 1;
    se += (pred[j] - truth[j]) ** 2;
  }
  const out = {};
  if (binary) {
    out.F1 = np + nt > 0 ? 2 * tp / (np + nt) : 1;
    out.accuracy = right / Math.max(n, 1);
  }
  out.MSE = se / Math.max(n, 1);
  return out;
}

// log p(x_m_true | z) of one chain (dgm_core.demos.inpainting._log_lik_missing)
export function logLikMissing(m, params, b, truth, miss, binary) {
  let s = 0;
  for (let j = 0; j < truth.length; j++) {
    if (!miss[j]) continue;
    if (binary) {
      const p = Math.min(Math.max(m.mean(params, b, j), 1e-6), 1 - 1e-6);
      s += truth[j] * Math.log(p) + (1 - truth[j]) * Math.log1p(-p);
    } else {
      const v = m.variance(params, b, j); const e = truth[j] - m.mean(params, b, j);
      s += -0.5 * (e * e / v + Math.log(2 * Math.PI * v));
    }
  }
  return s;
}
