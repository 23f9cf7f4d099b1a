/** Every hostile-LAN scenario the fuzz run throws at a live room, by item number. */
import { challengeStarve } from './challenge-starve.js';
import { passwordFill } from './password-fill.js';
import type { TrustScenario } from './scenario.js';
import { TICKETS } from './tickets.js';

export const SCENARIOS: TrustScenario[] = [challengeStarve, passwordFill, TICKETS];
