/**
 * Two echo services bounce a datagram between them forever once anyone sends one of them a
 * datagram forged from the other's address: each answers the other, on loopback some 30,000
 * times a second each way. The refusals by source port and by our own address do not catch it
 * (an echo can listen on any port), and a rate limit only ends it where one is set.
 *
 * What a loop looks like from inside one echo: a source that sends us back exactly what we just
 * sent it, again and again. So we remember, per source address and port, fingerprints of the
 * last answers we sent there; a datagram from that source matching one of them is a reflection,
 * and after `after` reflections in a row the source is not answered for `muteMs`. The loop ends
 * at the first answer withheld, whoever the other side is.
 *
 * The one kind of client this also stops: one that keeps sending back exactly what it was sent
 * (a mirror) or the same bytes over and over; anything whose datagrams differ (a counter, a
 * timestamp, `send --seq`) is never a reflection, however fast it sends.
 */

/** Answers remembered per source: up to this many distinct datagrams bouncing at once are caught. */
const RECENT = 64;
/** Sources remembered; past this many the oldest is forgotten, so memory stays bounded (~1.5 MB). */
const MAX_SOURCES = 4096;
/** Datagrams longer than this are fingerprinted on a sample of their bytes, to keep the cost flat. */
const FULL_HASH_BYTES = 4096;

/**
 * FNV-1a of the length and the bytes (for a large datagram: its first and last 2 KiB and every
 * n-th byte between). Equal bytes give equal fingerprints; a false match needs a 32-bit collision
 * `after` times in a row.
 */
export function fingerprint(bytes: Uint8Array): number {
  let h = Math.imul(0x811c9dc5 ^ bytes.length, 0x01000193);
  const n = bytes.length;
  if (n <= FULL_HASH_BYTES) {
    for (let i = 0; i < n; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193);
    return h >>> 0;
  }
  const edge = FULL_HASH_BYTES / 2;
  const step = Math.ceil(n / 512);
  for (let i = 0; i < edge; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193);
  for (let i = edge; i < n - edge; i += step) h = Math.imul(h ^ bytes[i]!, 0x01000193);
  for (let i = n - edge; i < n; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193);
  return h >>> 0;
}

interface Source {
  /** Fingerprints of the last answers sent to this source, a ring. */
  sent: Uint32Array;
  filled: number;
  next: number;
  /** Reflections in a row. */
  run: number;
  /** Not answered until then (the guard's clock); 0 when answered. */
  mutedUntil: number;
}

function sentRecently(s: Source, fp: number): boolean {
  for (let i = 0; i < s.filled; i++) if (s.sent[i] === fp) return true;
  return false;
}

/** What to do with a datagram: answer it; not (a loop just found: say so once); not (still muted). */
export type LoopVerdict = 'answer' | 'loop' | 'muted';

/** The per-source memory of answers that tells a reflector from a client. */
export class ReflectionGuard {
  private readonly sources = new Map<string, Source>();

  /** `after` reflections in a row mute a source for `muteMs`; `after` 0 turns the guard off. */
  constructor(
    private readonly after: number,
    private readonly muteMs: number,
    private readonly clock: () => number,
  ) {}

  /** What to do with a datagram of fingerprint `fp` from `source` (`ip|port`). */
  inspect(source: string, fp: number): LoopVerdict {
    if (this.after <= 0) return 'answer';
    const s = this.sources.get(source);
    if (!s) return 'answer';
    if (s.mutedUntil !== 0) {
      if (this.clock() < s.mutedUntil) return 'muted';
      s.mutedUntil = 0;
    }
    if (!sentRecently(s, fp)) {
      s.run = 0;
      return 'answer';
    }
    if (++s.run < this.after) return 'answer';
    s.run = 0;
    s.mutedUntil = this.clock() + this.muteMs;
    return 'loop';
  }

  /** Remembers that an answer of fingerprint `fp` went to `source`. */
  answered(source: string, fp: number): void {
    if (this.after <= 0) return;
    let s = this.sources.get(source);
    if (!s) {
      if (this.sources.size >= MAX_SOURCES) this.sources.delete(this.sources.keys().next().value!);
      s = { sent: new Uint32Array(RECENT), filled: 0, next: 0, run: 0, mutedUntil: 0 };
      this.sources.set(source, s);
    }
    s.sent[s.next] = fp;
    s.next = (s.next + 1) % RECENT;
    if (s.filled < RECENT) s.filled += 1;
  }

  /** How many sources are remembered (for tests: memory stays bounded). */
  get size(): number {
    return this.sources.size;
  }
}
