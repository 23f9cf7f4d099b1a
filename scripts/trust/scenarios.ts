/** Every hostile-LAN scenario the fuzz run throws at a live room, by item number. */
import { challengeStarve } from './challenge-starve.js';
import { ECHO_LOOP } from './echo-loop.js';
import { passwordFill } from './password-fill.js';
import { rebinding } from './rebinding.js';
import type { TrustScenario } from './scenario.js';
import { tcpFlood } from './tcp-flood.js';
import { TICKETS } from './tickets.js';
import { WHO_AMPLIFICATION } from './who-amplification.js';
import { WHO_FLOOD } from './who-flood.js';

export const SCENARIOS: TrustScenario[] = [ECHO_LOOP, WHO_AMPLIFICATION, WHO_FLOOD, tcpFlood, challengeStarve, passwordFill, TICKETS, rebinding];
