/** The impairment proxy's entry point: UDP or TCP, one set of options. */
import type { UdpImpairment } from '../transports/policy.js';
import { startTcpProxy, type TcpImpairment, type TcpProxy } from './tcp-proxy.js';
import { startUdpProxy, type Direction, type UdpProxy } from './udp-proxy.js';

export interface ProxyOptions {
  transport: 'udp' | 'tcp';
  listenHost: string;
  listenPort: number;
  targetHost: string;
  targetPort: number;
  direction: Direction;
  seed: number;
  udp: UdpImpairment;
  tcp: TcpImpairment;
  /** UDP: the client table's cap and the new-client rate per source prefix (defaults: PROXY_LIMITS). */
  maxClients?: number;
  newClientsPerSecond?: number;
}

/** A running proxy of either kind. */
export type Proxy = { transport: 'udp'; proxy: UdpProxy } | { transport: 'tcp'; proxy: TcpProxy };

/** Starts the proxy the options ask for. */
export async function startProxy(o: ProxyOptions): Promise<Proxy> {
  const common = { listenHost: o.listenHost, listenPort: o.listenPort, targetHost: o.targetHost, targetPort: o.targetPort, direction: o.direction, seed: o.seed };
  if (o.transport === 'tcp') return { transport: 'tcp', proxy: await startTcpProxy({ ...common, impairment: o.tcp }) };
  return { transport: 'udp', proxy: await startUdpProxy({ ...common, impairment: o.udp, maxClients: o.maxClients, newClientsPerSecond: o.newClientsPerSecond }) };
}
