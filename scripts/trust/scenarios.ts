/** Every hostile-LAN scenario the fuzz run throws at a live room, by item number. */
import type { TrustScenario } from './scenario.js';
import { TICKETS } from './tickets.js';

export const SCENARIOS: TrustScenario[] = [TICKETS];
