/**
 * Reading the demo pictures back in tests: parsed as XML (a fatal error throws), elements found by
 * class, and the checks every picture must pass (the page's CSP forbids <style> and style="...").
 */
import { DOMParser, type Document, type Element } from '@xmldom/xmldom';

/** Parses SVG or XHTML strictly: any well-formedness error throws. */
export function parseXml(text: string, type: 'image/svg+xml' | 'text/html' = 'image/svg+xml'): Document {
  const parser = new DOMParser({
    onError: (level, message) => {
      if (level !== 'warning') throw new Error(`${level}: ${message}`);
    },
  });
  return parser.parseFromString(text, type);
}

/** Every element named `tag` below `root`. */
export function all(root: Document | Element, tag = '*'): Element[] {
  return Array.from(root.getElementsByTagName(tag));
}

/** The <g> elements whose class list holds every one of `classes`. */
export function groups(doc: Document, ...classes: string[]): Element[] {
  return all(doc, 'g').filter((g) => {
    const own = (g.getAttribute('class') ?? '').split(/\s+/);
    return classes.every((c) => own.includes(c));
  });
}

/** The data-seq of the marks of one kind on one transport, ascending. */
export function markSeqs(doc: Document, kind: string, transport: string): number[] {
  return groups(doc, 'mark', kind)
    .filter((g) => g.getAttribute('data-transport') === transport)
    .map((g) => Number(g.getAttribute('data-seq')))
    .sort((a, b) => a - b);
}

/** The problems a demo picture has against the contract: empty when it keeps it. */
export function contractProblems(svg: string): string[] {
  const problems: string[] = [];
  let doc: Document;
  try {
    doc = parseXml(svg);
  } catch (err) {
    return [`not XML: ${(err as Error).message}`];
  }
  const root = doc.documentElement!;
  if (root.nodeName !== 'svg') problems.push(`root is ${root.nodeName}`);
  if (root.getAttribute('xmlns') !== 'http://www.w3.org/2000/svg') problems.push('no SVG xmlns');
  if (!/^0 0 \d+ \d+$/.test(root.getAttribute('viewBox') ?? '')) problems.push(`viewBox ${root.getAttribute('viewBox')}`);
  if (root.getAttribute('role') !== 'img') problems.push('no role="img"');
  if (all(doc, 'title').length !== 1 || all(doc, 'desc').length !== 1) problems.push('not one <title> and one <desc>');
  if (all(doc, 'style').length > 0) problems.push('a <style> element');
  if (all(doc).some((e) => e.hasAttribute('style'))) problems.push('a style="..." attribute');
  if (all(doc, 'script').length > 0) problems.push('a <script>');
  const steps = all(doc, 'g').filter((g) => g.hasAttribute('data-step')).map((g) => Number(g.getAttribute('data-step')));
  if (steps.length === 0) problems.push('no data-step');
  if (steps.some((s) => !Number.isInteger(s) || s < 0)) problems.push('a data-step that is not a whole number');
  const distinct = [...new Set(steps)].sort((a, b) => a - b);
  if (distinct.some((s, i) => s !== i)) problems.push(`steps not 0..N: ${distinct.slice(0, 10).join(',')}`);
  for (const legend of groups(doc, 'legend')) if (all(legend).some((e) => e.hasAttribute('data-step'))) problems.push('a data-step in the legend');
  return problems;
}
