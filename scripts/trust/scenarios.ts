/** Every hostile-LAN scenario the fuzz run throws at a live room, by item number. */
import { challengeStarve } from './challenge-starve.js';
import { limitsVisible } from './limits-visible.js';
import { passwordFill } from './password-fill.js';
import type { TrustScenario } from './scenario.js';

export const SCENARIOS: TrustScenario[] = [challengeStarve, passwordFill, limitsVisible];
