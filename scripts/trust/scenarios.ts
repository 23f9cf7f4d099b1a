/** Every hostile-LAN scenario the fuzz run throws at a live room, by item number. */
import type { TrustScenario } from './scenario.js';
import { rebinding } from './rebinding.js';
import { tcpFlood } from './tcp-flood.js';

export const SCENARIOS: TrustScenario[] = [tcpFlood, rebinding];
