/** Every hostile-LAN scenario the fuzz run throws at a live room, by item number. */
import { ECHO_LOOP } from './echo-loop.js';
import type { TrustScenario } from './scenario.js';
import { WHO_AMPLIFICATION } from './who-amplification.js';
import { WHO_FLOOD } from './who-flood.js';

export const SCENARIOS: TrustScenario[] = [ECHO_LOOP, WHO_AMPLIFICATION, WHO_FLOOD];
