// The whole job's "about N s to go" of the browser's tabular training: every model's every step, from the time per step
// measured so far (dgm_core.own_table.Pace is its twin on the server). The first steps are left out of the rate (they
// hold TensorFlow.js's warm-up: kernels compiled, buffers made), and a model's imputation, once one has been timed,
// counts for each model still to impute. Times in seconds.
export const WARM = 10;  // steps before the rate is trusted

export function pace(steps, models) {
  const total = steps * models;
  let first = null;  // [done, t] at the end of the warm-up
  let imputed = null;  // the seconds one model's imputation took
  let imputations = 0;  // models imputed
  let spent = 0;  // seconds of imputation since the warm-up: not training, so not in the rate
  return {
    // `done` steps of the whole job by time `t` (models before the current one: all their steps) -> the seconds left
    // for all of it, or null before the rate is known
    step(done, t) {
      if (first === null && done >= Math.min(WARM, total)) first = [done, t];
      if (first === null || done <= first[0]) return null;
      const rate = (t - first[1] - spent) / (done - first[0]);
      return (total - done) * rate + (models - imputations) * (imputed ?? 0);
    },
    imputed(seconds) { imputed = seconds; imputations += 1; if (first !== null) spent += seconds; },
  };
}

// "about 40 s to go", "about 2 min to go", "a few seconds to go"
export function toGo(seconds) {
  if (seconds < 5) return 'a few seconds to go';
  return seconds < 120 ? `about ${Math.round(seconds)} s to go` : `about ${Math.round(seconds / 60)} min to go`;
}
