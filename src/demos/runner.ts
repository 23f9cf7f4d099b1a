/**
 * The classroom demos as the page's Demos view runs them (`serve --web`): each one run on the
 * server's machine with its defaults (the default seed, so the class sees the run the docs show)
 * and drawn, so the page animates the same picture `demo NAME --svg` writes.
 */
import type { DemoRunner } from '../transports/ws/demos-endpoint.js';
import { DEMOS } from './demos.js';
import { demoSvg } from './draw/index.js';

/** Every demo in DEMOS, run and drawn on request. */
export const demoRunner: DemoRunner = {
  list: () => Object.entries(DEMOS).map(([name, d]) => ({ name, summary: d.summary })),
  async run(name) {
    // The endpoint checks the name against list(); this guards a caller that does not (an own
    // name only: `constructor` is on every object).
    const demo = Object.hasOwn(DEMOS, name) ? DEMOS[name] : undefined;
    if (!demo) throw new Error(`no demo ${name}`);
    const result = await demo.run({});
    return { result, svg: demoSvg(result) };
  },
};
