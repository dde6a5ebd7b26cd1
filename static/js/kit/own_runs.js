// What this page's browser computed for the inpainting page, kept here: each job's image, mask and the worker's
// whole results, for the panels that draw them in this page (panels/fill_grid.js: the results' grid;
// panels/chain_player.js: the chains' film). A module is one instance per document, so every panel of the page that
// imports this file shares the one store; a reload empties it (the grid then asks the server to draw it).
//
// `sent` is one method's result as the panel sends it to the server: the fields the manifest keeps in the browser
// (the chains' snapshots: server.manifest.KEPT_IN_BROWSER) left out, typed arrays as typed JSON.

import manifest from '../manifest.json' with { type: 'json' };
import { plain } from './typed_json.js';

const KEEP = 3;  // jobs: the Run shown, and a couple before it (a student going back and forth)
const runs = new Map();
const KEPT = new Set(manifest.kept.inpainting);

// keep job's {shape, image, mask, results}; the oldest beyond KEEP is dropped
export function keep(job, run) {
  runs.delete(job);
  runs.set(job, run);
  while (runs.size > KEEP) runs.delete(runs.keys().next().value);
}

export const held = (job) => runs.get(job) ?? null;

export const sent = (result) => plain(Object.fromEntries(Object.entries(result).filter(([k]) => !KEPT.has(k))));
