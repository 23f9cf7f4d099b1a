/** The demo pictures: `demoSvg(result)` draws a run as a standalone SVG, `demoHtml(result)` a page around it. Pure. */
import type { DemoResult } from '../common.js';
import { boundariesSvg } from './boundaries.js';
import { livenessSvg } from './liveness.js';
import { multicastSvg } from './multicast.js';
import { sequenceSvg } from './sequence.js';
import { sizeSvg } from './size.js';
import { tableSvg } from './table.js';

export { demoHtml, paragraphs } from './html.js';

const DRAW: Record<string, (result: DemoResult) => string> = {
  loss: sequenceSvg,
  reorder: sequenceSvg,
  duplicate: sequenceSvg,
  boundaries: boundariesSvg,
  size: sizeSvg,
  liveness: livenessSvg,
  multicast: multicastSvg,
};

/** A standalone SVG 1.1 picture of a demo run, drawn from its own data (a demo without a picture of its own: its table). */
export function demoSvg(result: DemoResult): string {
  return (DRAW[result.demo] ?? tableSvg)(result);
}
