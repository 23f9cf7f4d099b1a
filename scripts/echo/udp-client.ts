/**
 * The UDP client of bench-echo: RTT one datagram at a time, throughput as W datagrams
 * outstanding (one unanswered for STALL_MS counts as lost and is replaced). socat's and ncat's
 * answers may merge several messages into one datagram (their pipe reads whatever is there), so
 * messages are counted by bytes.
 */
import { once } from 'node:events';
import { HOST, bindUdp } from '../harness/sockets.js';
import { MESSAGE_BYTES, message, WAIT_MS, type Client } from './client.js';

/** A UDP throughput datagram unanswered this long is lost, and replaced. */
const STALL_MS = 200;
const CLIENT_BUFFER = 1 << 20;

/** A client on a connected UDP socket, once the server answers a probe. */
export async function udpClient(port: number): Promise<Client> {
  // bindUdp ignores errors: an ICMP port unreachable (the server not bound yet) arrives as an
  // 'error' on a connected socket, and the probe just goes on.
  const socket = await bindUdp({ recv: CLIENT_BUFFER, send: CLIENT_BUFFER });
  // A connected socket: no address per send, and only the server's answers come in.
  socket.connect(port, HOST);
  await once(socket, 'connect', { signal: AbortSignal.timeout(WAIT_MS.start) });
  let onMessage: (msg: Buffer) => void = () => {};
  socket.on('message', (msg) => onMessage(msg));

  const pingOnce = (payload: Buffer, ms: number): Promise<number | null> =>
    new Promise((resolve) => {
      const timer = setTimeout(() => {
        onMessage = () => {};
        resolve(null);
      }, ms);
      const sent = performance.now();
      onMessage = (msg) => {
        // A late answer to an earlier ping is not this one's.
        if (!msg.equals(payload)) return;
        const rtt = (performance.now() - sent) * 1000;
        clearTimeout(timer);
        onMessage = () => {};
        resolve(rtt);
      };
      socket.send(payload);
    });

  // The server may still be starting: probe until it answers.
  const deadline = Date.now() + WAIT_MS.start;
  while ((await pingOnce(message(0), WAIT_MS.probeInterval)) === null) {
    if (Date.now() > deadline) {
      socket.close();
      throw new Error(`no UDP echo from port ${port} within ${WAIT_MS.start} ms`);
    }
  }

  return {
    async pings(count) {
      const rtts = new Float64Array(count);
      let got = 0;
      let lost = 0;
      for (let i = 1; i <= count; i++) {
        const rtt = await pingOnce(message(i), WAIT_MS.ping);
        if (rtt === null) lost += 1;
        else rtts[got++] = rtt;
      }
      return { rtts: rtts.subarray(0, got).sort(), lost };
    },
    throughput(ms, window, onStart) {
      // Distinct datagrams, cycled: an echo that stops a source sending back its recent answers
      // (udp-chat's loop guard remembers 64 a source) must see a client, not a mirror.
      const payloads = Array.from({ length: Math.max(1024, 2 * window + 128) }, (_, i) => message(i));
      let next = 0;
      return new Promise((resolve) => {
        let bytes = 0;
        let answered = 0;
        let answers = 0;
        let inflight = 0;
        let lost = 0;
        let last = performance.now();
        let sending = true;
        const topUp = (): void => {
          for (; sending && inflight < window; inflight++) socket.send(payloads[next++ % payloads.length]!);
        };
        onMessage = (msg) => {
          bytes += msg.length;
          answers += 1;
          const done = Math.floor(bytes / MESSAGE_BYTES);
          // Late answers to messages already counted lost only bring the count back to zero.
          inflight = Math.max(0, inflight - (done - answered));
          answered = done;
          last = performance.now();
          topUp();
        };
        const stall = setInterval(() => {
          if (inflight > 0 && performance.now() - last > STALL_MS) {
            lost += inflight;
            inflight = 0;
            last = performance.now();
            topUp();
          }
        }, STALL_MS / 4);
        onStart();
        const start = performance.now();
        topUp();
        setTimeout(() => {
          sending = false;
          const elapsedMs = performance.now() - start;
          clearInterval(stall);
          // What is still in flight drains into a handler that counts nothing.
          onMessage = () => {};
          resolve({ messages: answered, answers, lost, elapsedMs });
        }, ms);
      });
    },
    close() {
      socket.close();
    },
  };
}
