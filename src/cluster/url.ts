/** The cluster's Redis address as a person reads it: the password hidden, and why it could not be reached. */

/** The URL with any password replaced by `***`, for logs and errors. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString().replace(/\/$/, '');
  } catch {
    return url.replace(/\/\/[^@/]*@/, '//***@');
  }
}

/** One line saying why Redis at `url` could not be reached at the start. */
export function unreachable(url: string, err: Error): string {
  const where = `the cluster's Redis at ${redactUrl(url)}`;
  // node-redis passes the socket's error on, sometimes with its code only in the message.
  const code = (err as NodeJS.ErrnoException).code ?? /\b(E[A-Z]{3,})\b/.exec(err.message ?? '')?.[1] ?? '';
  const text = err.message ?? String(err);
  if (/WRONGPASS|NOAUTH|invalid password|AUTH/.test(text)) return `${where} refused the password (${text.split('\n')[0]}): check the URL's :PASSWORD@ part`;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `cannot resolve the host of ${where}`;
  const why = code || text.split('\n')[0];
  return `cannot reach ${where}: ${why} (is redis-server running there? docs/CLUSTER.md has the one command that starts one)`;
}
