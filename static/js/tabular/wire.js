// Typed arrays between the page's server and the tabular worker, as the server's schema reads them
// (dgm_core/serving/schema.py): {f32: base64}, {u8: base64} of the little-endian bytes, both ways.

const TYPES = { f32: Float32Array, u8: Uint8Array };

function base64(a) {
  const bytes = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  let text = '';
  for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(text);
}

// a value as JSON-able: Float32Arrays as {f32: …}, other typed arrays as lists
export function plain(v) {
  if (v instanceof Float32Array) return { f32: base64(v) };
  if (ArrayBuffer.isView(v)) return Array.from(v);
  if (Array.isArray(v)) return v.map(plain);
  return v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)])) : v;
}

// and back: every {f32: …} / {u8: …} in a value as its typed array
export function typed(v) {
  if (Array.isArray(v)) return v.map(typed);
  if (!v || typeof v !== 'object') return v;
  const keys = Object.keys(v);
  if (keys.length === 1 && TYPES[keys[0]] && typeof v[keys[0]] === 'string') {
    const bytes = Uint8Array.from(atob(v[keys[0]]), (c) => c.charCodeAt(0));
    const T = TYPES[keys[0]];
    return new T(bytes.buffer, 0, bytes.byteLength / T.BYTES_PER_ELEMENT);
  }
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, typed(x)]));
}
