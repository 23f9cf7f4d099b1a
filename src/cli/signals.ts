/** Waits for SIGINT or SIGTERM. A second signal while shutting down exits at once. */
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
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}
