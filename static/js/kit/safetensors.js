// A safetensors file's float32 tensors, fetched once per URL: an 8-byte little-endian header length, a JSON header
// {name: {dtype, shape, data_offsets}}, then the data (MFA's fitted parameters, static/models).

const files = {};  // URL -> Promise of {name: Float32Array}

// a safetensors file: an 8-byte little-endian header length, a JSON header {name: {dtype, shape, data_offsets}}, data
export function safetensors(url) {
  if (!files[url]) {
    files[url] = fetch(url).then(async (r) => {
      if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
      const buf = await r.arrayBuffer();
      const n = Number(new DataView(buf).getBigUint64(0, true));
      const header = JSON.parse(new TextDecoder().decode(new Uint8Array(buf, 8, n)));
      const out = {};
      for (const [name, t] of Object.entries(header)) {
        if (name === '__metadata__') continue;
        if (t.dtype !== 'F32') throw new Error(`${url}: ${name} is ${t.dtype}, not F32`);
        out[name] = new Float32Array(buf.slice(8 + n + t.data_offsets[0], 8 + n + t.data_offsets[1]));
      }
      return out;
    });
  }
  return files[url];
}
