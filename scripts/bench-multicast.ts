/**
 * What one send to many saves the server: the room relaying to N receivers as its UDP peers
 * (unicast: N datagrams a line), the same room also sending to a multicast group the receivers
 * listen to (`serve --multicast`: one datagram a line), and a TCP room (N writes), side by side in
 * each round, in the order the demo runs them (`demo multicast`'s own code: src/demos/multicast.ts).
 * The receivers run in a forked child, so the CPU measured is the server's and its one sender's.
 * On loopback the kernel makes the group's copies inside the server's send, so they are counted
 * in its CPU; on a LAN they are the network's. The group stays on 127.0.0.1 with TTL 0.
 *
 * Reported per mode: server sends per line, and its CPU µs per delivery (median over rounds), with
 * the ratio to the unicast room's.
 *
 *   node dist/scripts/bench-multicast.js [--quick] [--json] [--rounds R] [--receivers N] [--messages M]
 */
import { multicastDemo, MAX_RECEIVERS, type MulticastRun } from '../src/demos/multicast.js';
import { BENCH_FLAGS, flags, int, runMain, wantsHelp } from './harness/args.js';
import { fixed, median, print, ratio, table, times } from './harness/report.js';

const USAGE = 'node dist/scripts/bench-multicast.js [--quick] [--json] [--rounds R] [--receivers N] [--messages M]';

runMain(import.meta.url, USAGE, async () => {
  const values = flags(process.argv.slice(2), { ...BENCH_FLAGS, receivers: { type: 'string' }, messages: { type: 'string' } });
  if (wantsHelp(values)) return;
  const quick = Boolean(values.quick);
  const rounds = int(values.rounds, 'rounds', quick ? 2 : 5);
  const receivers = int(values.receivers, 'receivers', 100, 1, MAX_RECEIVERS);
  const messages = int(values.messages, 'messages', quick ? 50 : 200);
  const seen: Record<MulticastRun['mode'], MulticastRun[]> = { unicast: [], multicast: [], tcp: [] };
  for (let r = 0; r < rounds; r++) {
    const result = await multicastDemo({ receivers, count: messages });
    for (const run of result.data['runs'] as MulticastRun[]) seen[run.mode].push(run);
  }
  const rows = (Object.keys(seen) as MulticastRun['mode'][]).map((mode) => {
    const runs = seen[mode];
    return {
      mode,
      label: runs[0]!.label,
      sendsPerMessage: median(runs.map((x) => x.sendsPerMessage)),
      cpuPerDeliveryUs: median(runs.map((x) => x.cpuPerDeliveryUs)),
      delivered: runs.reduce((sum, x) => sum + x.delivered, 0),
      expected: runs.reduce((sum, x) => sum + x.receivers * x.messages, 0),
    };
  });
  const base = rows.find((x) => x.mode === 'unicast')!;
  print(Boolean(values.json), { receivers, messages, rounds, rows }, () =>
    [
      `${receivers} receivers on loopback, ${messages} lines a mode, ${rounds} rounds (medians); ratios against the unicast room`,
      '',
      table(
        ['mode', 'how', 'sends/line', 'x unicast', 'CPU µs/delivery', 'x unicast', 'delivered'],
        rows.map((x) => [x.mode, x.label, fixed(x.sendsPerMessage, 1), times(ratio(x.sendsPerMessage, base.sendsPerMessage)), fixed(x.cpuPerDeliveryUs, 2), times(ratio(x.cpuPerDeliveryUs, base.cpuPerDeliveryUs)), `${x.delivered}/${x.expected}`]),
      ),
    ].join('\n'),
  );
});
