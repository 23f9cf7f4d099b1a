// What the page's SVG views share: the namespace, and an element built with DOM calls (every
// name and message from the network goes in as a text node, never as markup).

export const SVG_NS = 'http://www.w3.org/2000/svg';

/** An SVG element with attributes (undefined and null ones left out); `text`, when given, becomes its one text node. */
export function el(name, attrs = {}, text) {
  const e = document.createElementNS(SVG_NS, name);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}
