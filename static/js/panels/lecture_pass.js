// The lecturer's pass (ui/lecture.py mounts this on every presented step of a lecture): once per room and tab, it
// asks the server to keep the pass in this browser's cookie (POST poll/api/<code>/pass with the lecturer key; the
// server sets it HttpOnly), so a reload, a second tab or the app after a server restart finds the lecture's room.

const kept = new Set();

export default function (component) {
  const { code, key } = component.data || {};
  if (!code || !key || kept.has(code)) return;
  kept.add(code);
  fetch(new URL(`poll/api/${code}/pass`, document.baseURI), {
    method: 'POST', headers: { 'X-Lecturer-Key': key }, credentials: 'same-origin', cache: 'no-store',
  }).then((r) => { if (!r.ok) kept.delete(code); }, () => kept.delete(code));
}
