/** Every hostile-LAN scenario the fuzz run throws at a live room, in the order of SECURITY.md's items. */
import { challengeStarve } from './challenge-starve.js';
import { echoLoop } from './echo-loop.js';
import { echoReflector } from './echo-reflector.js';
import { fakeLines } from './fake-lines.js';
import { limitsVisible } from './limits-visible.js';
import { names } from './names.js';
import { passwordFill } from './password-fill.js';
import { proxyFlood } from './proxy-flood.js';
import type { TrustScenario } from './scenario.js';
import { rebinding } from './rebinding.js';
import { tcpFlood } from './tcp-flood.js';
import { TICKETS } from './tickets.js';

export const SCENARIOS: TrustScenario[] = [echoLoop, echoReflector, tcpFlood, challengeStarve, passwordFill, proxyFlood, names, fakeLines, TICKETS, rebinding, limitsVisible];
