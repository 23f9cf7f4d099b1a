/** The lines a test peer has received, and a deadline-bound wait for one of them. */

/** What a wait looks for: an exact line, a pattern, or a test. */
export type LineMatch = string | RegExp | ((line: string) => boolean);

// A failure message shows this many of the last lines, each cut to BRIEF characters.
const SHOWN_LINES = 30;
const BRIEF = 160;

function brief(text: string): string {
  return text.length > BRIEF ? `${text.slice(0, BRIEF)}...(${text.length} chars)` : text;
}

/** Records lines as they arrive and wakes whoever waits for one. */
export class LineLog {
  readonly lines: string[] = [];
  private waiters: Array<() => void> = [];

  /** Records one line and wakes every waiter. */
  push(line: string): void {
    this.lines.push(line);
    this.wake();
  }

  /** Wakes every waiter without a line, so it can look at other state (a socket that closed). */
  wake(): void {
    for (const wake of this.waiters.splice(0)) wake();
  }

  /** Waits for a received line that matches, and returns it; fails after `ms`, listing the lines seen. */
  async waitFor(match: LineMatch, ms = 2000): Promise<string> {
    const test = typeof match === 'function' ? match : (l: string) => (typeof match === 'string' ? l === match : match.test(l));
    const deadline = Date.now() + ms;
    let seen = 0;
    for (;;) {
      for (; seen < this.lines.length; seen++) if (test(this.lines[seen]!)) return this.lines[seen]!;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no line matching ${brief(String(match))} within ${ms} ms; got: ${this.shown()}`);
      await this.changed(left);
    }
  }

  /** Waits until `check` holds, looking again at each push() or wake(); fails after `ms` with `what` and the lines seen. */
  async until(check: () => boolean, ms: number, what: string): Promise<void> {
    const deadline = Date.now() + ms;
    while (!check()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`${what} within ${ms} ms; got: ${this.shown()}`);
      await this.changed(left);
    }
  }

  /** The lines seen, for a failure message: each cut short, and only the last ones of a long list. */
  shown(): string {
    const last = this.lines.slice(-SHOWN_LINES).map(brief);
    const skipped = this.lines.length - last.length;
    return `${skipped > 0 ? `(${skipped} earlier lines) ` : ''}${JSON.stringify(last)}`;
  }

  /** Resolves at the next push() or wake(), or after `ms`. */
  changed(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}
