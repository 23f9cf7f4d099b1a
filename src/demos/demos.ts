/** The classroom demos by name. */
import { boundariesDemo } from './boundaries.js';
import type { DemoOptions, DemoResult } from './common.js';
import { livenessDemo } from './liveness.js';
import { multicastDemo } from './multicast.js';
import { sequenceDemo } from './sequence.js';
import { sizeDemo } from './size.js';

/** Every demo, with a one-line summary for `udp-chat demo`. */
export const DEMOS: Record<string, { summary: string; run: (o: DemoOptions) => Promise<DemoResult> }> = {
  boundaries: { summary: 'message boundaries: UDP keeps them, TCP merges and splits (sticky packets)', run: boundariesDemo },
  loss: { summary: 'lost datagrams vs TCP retransmission (seeded proxy)', run: (o) => sequenceDemo('loss', o) },
  reorder: { summary: 'datagrams out of order vs TCP in order (seeded proxy)', run: (o) => sequenceDemo('reorder', o) },
  duplicate: { summary: 'duplicated datagrams vs TCP (seeded proxy)', run: (o) => sequenceDemo('duplicate', o) },
  size: { summary: 'datagram size limits, EMSGSIZE, and a burst into a small receive buffer', run: sizeDemo },
  liveness: { summary: 'how TCP and UDP notice a peer is gone', run: livenessDemo },
  multicast: { summary: 'one send to many: the room sends N datagrams a line, a multicast group one, TCP writes N times', run: multicastDemo },
};
