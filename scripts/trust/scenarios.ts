/** Every hostile-LAN scenario the fuzz run throws at a live room, by item number. */
import { challengeStarve } from './challenge-starve.js';
import { fakeLines } from './fake-lines.js';
import { names } from './names.js';
import { passwordFill } from './password-fill.js';
import type { TrustScenario } from './scenario.js';
import { rebinding } from './rebinding.js';
import { tcpFlood } from './tcp-flood.js';
import { TICKETS } from './tickets.js';

export const SCENARIOS: TrustScenario[] = [tcpFlood, challengeStarve, passwordFill, names, fakeLines, TICKETS, rebinding];
