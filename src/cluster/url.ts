/** The cluster's Redis address as a person reads it: the password hidden, and why it could not be reached. */
import { ChatError } from '../core/errors.js';

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

/**
 * Why Redis at `url` could not be reached at the start, as the error the command line prints:
 * an unknown host is the user's mistake in the URL (ERR_BAD_HOST, exit 2, in the words --host uses);
 * anything else is Redis not being there (exit 1).
 */
export function unreachable(url: string, err: Error): ChatError {
  // node-redis passes the socket's error on, sometimes with its code only in the message.
  const code = (err as NodeJS.ErrnoException).code ?? /\b(E[A-Z]{3,})\b/.exec(err.message ?? '')?.[1] ?? '';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return new ChatError('ERR_BAD_HOST', `cannot resolve the host ${hostOf(url)}`);
  return new ChatError('ERR_CLUSTER_UNREACHABLE', unreachableLine(url, err, code));
}

function hostOf(url: string): string {
  try {
    return new URL(url).hostname;
  } catch {
    return url;
  }
}

function unreachableLine(url: string, err: Error, code: string): string {
  const where = `the cluster's Redis at ${redactUrl(url)}`;
  const text = err.message ?? String(err);
  if (/NOAUTH/.test(text)) return `${where} needs a password: give it in the URL, redis://:PASSWORD@HOST:PORT (or redis://USER:PASSWORD@HOST:PORT for an ACL user)`;
  if (/WRONGPASS|invalid password/.test(text)) return `${where} refused the user or password: check the URL's USER:PASSWORD@ part`;
  // A TLS failure (rediss://) is the certificate, not a Redis that is not running.
  const tls = (err as NodeJS.ErrnoException).code ?? '';
  if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS|ERR_SSL/.test(tls) || /certificate|SSL routines/i.test(text)) {
    return `TLS to ${where} failed: ${tls || text.split('\n')[0]} (a certificate this machine does not trust: NODE_EXTRA_CA_CERTS=ca.pem names the CA that signed it)`;
  }
  const why = code || text.split('\n')[0];
  return `cannot reach ${where}: ${why} (is redis-server running there? docs/CLUSTER.md has the one command that starts one)`;
}
