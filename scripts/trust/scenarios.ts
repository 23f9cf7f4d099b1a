/** Every hostile-LAN scenario the fuzz run throws at a live room, by item number. */
import { echoLoop } from './echo-loop.js';
import { echoReflector } from './echo-reflector.js';
import { proxyFlood } from './proxy-flood.js';
import type { TrustScenario } from './scenario.js';

export const SCENARIOS: TrustScenario[] = [echoLoop, echoReflector, proxyFlood];
