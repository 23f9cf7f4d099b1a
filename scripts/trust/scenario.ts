/**
 * One attack from SECURITY.md's hostile-LAN list, thrown at a live server the scenario starts
 * itself (on 127.0.0.1, port 0), with the bound it must keep checked at the end. The fuzz run
 * (scripts/fuzz.ts) runs every scenario in `scenarios.ts` after its mixed-attack phase, so a
 * short seeded run in CI keeps each bound under test.
 *
 * A scenario owns its sockets and servers and closes them in `finally`; it stays within
 * `budgetMs` (about 3 s at CI's `--seconds 3`), sends only to loopback, and reports one check
 * per bound, with the measured figure in `detail`. Scenarios that need root (raw sockets forging
 * sources) return a check with `skipped` set where that is not available.
 */
import type { Random } from '../../src/transports/random.js';

export interface TrustCheck {
  name: string;
  pass: boolean;
  detail: string;
  /** Set when the scenario could not run here (no root for raw sockets): reported, not failed. */
  skipped?: boolean;
}

export interface TrustContext {
  random: Random;
  /** Wall-clock time the scenario may take, in milliseconds. */
  budgetMs: number;
}

export interface TrustScenario {
  /** The item number in the trust issue / SECURITY.md's table. */
  item: number;
  name: string;
  run(context: TrustContext): Promise<TrustCheck[]>;
}
