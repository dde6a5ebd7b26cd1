// The worker's results as JSON that a Streamlit component's state can carry (panels/browser_inpaint.js, and the class
// benchmark that replays them): a typed array as its bytes in base64 under its type's name ({f32: …}, {f64: …},
// {u8: …}; little-endian, as every browser stores them), four to ten times smaller than a list of decimals and a
// decode, not a parse, for the server (ui/browser_inpaint.py reads both).

const TYPED = [[Float32Array, 'f32'], [Float64Array, 'f64'], [Uint8Array, 'u8']];
function base64(a) {
  const bytes = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  let text = '';
  for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(text);
}
export const plain = (v) => {
  for (const [T, name] of TYPED) if (v instanceof T) return { [name]: base64(v) };
  if (ArrayBuffer.isView(v)) return Array.from(v);
  if (Array.isArray(v)) return v.map(plain);
  return v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)])) : v;
};
// and back: what the server sends the same way ({f32: …}, {u8: …}) as typed arrays, the rest as it is
export const typed = (v) => {
  if (v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 1) {
    const [[name, text]] = Object.entries(v);
    const T = (TYPED.find(([, n]) => n === name) || [])[0];
    if (T && typeof text === 'string') {
      const bytes = Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
      return new T(bytes.buffer, 0, bytes.byteLength / T.BYTES_PER_ELEMENT);
    }
  }
  return v;
};
