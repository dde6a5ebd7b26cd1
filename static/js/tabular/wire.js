// Typed arrays between the page's server and the tabular worker, as the server's schema reads them
// (server/schema.py): kit/typed_json.js's {f32: base64}, {u8: base64}, both ways; `typedDeep` decodes
// every one inside a job (its table, its mask, each model's weights).
import { plain, typed } from '../kit/typed_json.js';

export { plain };

export function typedDeep(v) {
  const t = typed(v);
  if (t !== v) return t;
  if (Array.isArray(v)) return v.map(typedDeep);
  return v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, typedDeep(x)])) : v;
}
