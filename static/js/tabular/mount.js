// The inline JavaScript of own-table mode's panel (ui/own_table.py passes this file as it is): it imports the
// panel's module from the app's static files, relative to the page (a proxy's base path is kept).
export default async function mount(component) {
  const panel = await import(new URL('app/static/js/tabular/panel.js', document.baseURI).href);
  return panel.default(component);
}
