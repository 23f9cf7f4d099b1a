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

/** The URL's user name, if it names one. */
function safeUser(url: string): string {
  try {
    return new URL(url).username;
  } catch {
    return '';
  }
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
  // NOPERM for a command the server sends; a plain ERR for one a script runs as that user.
  if (/NOPERM|user executing the script can't run/.test(text)) {
    return `${where} refused a command to this user (${text.split('\n')[0]}): its ACL needs every command of SECURITY.md's ACL line, and the room's keys and channels`;
  }
  if (/NOAUTH/.test(text)) return `${where} needs a password: give it in the URL, redis://:PASSWORD@HOST:PORT (or redis://USER:PASSWORD@HOST:PORT for an ACL user)`;
  if (/WRONGPASS|invalid password/.test(text)) {
    const user = safeUser(url);
    return user ? `${where} refused the user or password: check the URL's USER:PASSWORD@ part` : `${where} refused the password: check the URL's :PASSWORD@ part`;
  }
  // A TLS failure (rediss://) is the certificate, not a Redis that is not running.
  const tls = (err as NodeJS.ErrnoException).code ?? '';
  if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS|ERR_SSL/.test(tls) || /certificate|SSL routines/i.test(text)) {
    return `TLS to ${where} failed: ${tls || text.split('\n')[0]} (a certificate this machine does not trust: NODE_EXTRA_CA_CERTS=ca.pem names the CA that signed it)`;
  }
  const why = code || (text.split('\n')[0] ?? '');
  // A plain client on a TLS port is reset; a TLS client on a plain port waits for a handshake that never comes.
  const tlsUrl = url.startsWith('rediss:');
  if (!tlsUrl && code === 'ECONNRESET') return `cannot reach ${where}: ${why} (a TLS port? then rediss://)`;
  if (tlsUrl && /timeout/i.test(why)) return `cannot reach ${where}: ${why} (not a TLS port? then redis://; or is redis-server running there?)`;
  return `cannot reach ${where}: ${why} (is redis-server running there? docs/CLUSTER.md has the one command that starts one)`;
}
