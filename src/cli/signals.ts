/**
 * Waits for the signals that mean "stop": SIGINT (Ctrl-C), SIGTERM (kill, systemd, docker stop),
 * SIGHUP (the terminal closed: an ssh session dropped, a terminal window shut) and, on Windows,
 * SIGBREAK (Ctrl-Break). Windows never delivers SIGTERM; closing a console window reaches Node as
 * SIGHUP there, with about ten seconds before Windows ends the process, so the graceful close below
 * (peers told `* server shutting down`) still fits. A second signal while shutting down exits at once.
 */
export const STOP_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', ...(process.platform === 'win32' ? (['SIGBREAK'] as const) : [])];

export function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    let seen = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (seen) {
        // The user asked twice: a graceful close is taking too long; honour the second at once.
        process.exit(130);
      }
      seen = true;
      // The graceful close gets two seconds; a hung socket must not keep the process alive.
      setTimeout(() => process.exit(process.exitCode ?? 0), 2000).unref();
      resolve(signal);
    };
    for (const signal of STOP_SIGNALS) process.on(signal, onSignal);
  });
}
