/**
 * One status line redrawn in place at the bottom of a terminal (`\r` and erase-line), with the
 * ordinary lines printed above it: the live line of `send --seq`. Only for a terminal: in a pipe
 * or a file the redraws would be a pile of carriage returns.
 */
export class LiveLine {
  private shown = '';

  constructor(private readonly stream: NodeJS.WriteStream) {}

  /** Redraws the status; cut to the terminal's width, since a wrapped line cannot be redrawn by `\r`. */
  show(text: string): void {
    const columns = this.stream.columns;
    this.shown = columns && columns > 1 ? text.slice(0, columns - 1) : text;
    this.stream.write(`\r\x1b[K${this.shown}`);
  }

  /** Prints a line above the status, which comes back under it. */
  print(line: string): void {
    this.stream.write(`${this.shown ? '\r\x1b[K' : ''}${line}\n${this.shown}`);
  }

  /** Erases the status, leaving the cursor at the start of an empty line. */
  clear(): void {
    if (this.shown) this.stream.write('\r\x1b[K');
    this.shown = '';
  }
}
