/** Every hostile-LAN scenario the fuzz run throws at a live room, in the order of SECURITY.md's items. */
import { challengeStarve } from './challenge-starve.js';
import { echoLoop } from './echo-loop.js';
import { echoReflector } from './echo-reflector.js';
import { fakeLines } from './fake-lines.js';
import { limitsVisible } from './limits-visible.js';
import { names } from './names.js';
import { passwordFill } from './password-fill.js';
import { proxyFlood } from './proxy-flood.js';
import { ROOM_ECHO_LOOP } from './room-echo-loop.js';
import { rebinding } from './rebinding.js';
import type { TrustScenario } from './scenario.js';
import { tcpFlood } from './tcp-flood.js';
import { TICKETS } from './tickets.js';
import { WHO_AMPLIFICATION } from './who-amplification.js';
import { WHO_FLOOD } from './who-flood.js';

export const SCENARIOS: TrustScenario[] = [echoLoop, ROOM_ECHO_LOOP, WHO_AMPLIFICATION, WHO_FLOOD, echoReflector, tcpFlood, challengeStarve, passwordFill, proxyFlood, names, fakeLines, TICKETS, rebinding, limitsVisible];
