// Every components-v2 panel's inline JavaScript (ui/panels.py passes this file as it is): it imports the panel's own
// module, named by the panel's HTML (data-module, relative to the page's URL so a proxy's base path is kept; the URL
// carries its content hash, so a new deploy is a new URL), and hands the component to its default export.

export default async function mount(component) {
  const tag = component.parentElement.querySelector('[data-module]');
  if (!tag) throw new Error(`the panel ${component.name} names no module`);
  const panel = await import(new URL(tag.dataset.module, document.baseURI).href);
  return panel.default(component);
}
