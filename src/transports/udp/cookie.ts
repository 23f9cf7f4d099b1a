/**
 * Stateless join cookies for UDP, the idea of DTLS's HelloVerifyRequest and QUIC's address
 * validation: before an address may join, it must echo a token that only a host receiving our
 * datagrams at that address could have read. The token is an HMAC of the address, the port and
 * a one-minute time bucket under a secret made fresh for each run, so the server keeps no state
 * for an address until it has proved itself, and a forged source address gets nowhere.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

const BUCKET_MS = 60_000;

/** Makes and checks join tokens for one server run. */
export class CookieJar {
  private readonly secret: Buffer;

  constructor(
    secret: Buffer = randomBytes(32),
    private readonly clock: () => number = Date.now,
  ) {
    this.secret = secret;
  }

  private mac(ip: string, port: number, bucket: number): string {
    // 12 base64url characters: 72 bits, plenty against guessing within a minute, short to type.
    return createHmac('sha256', this.secret).update(`${ip}|${port}|${bucket}`).digest('base64url').slice(0, 12);
  }

  /** The token an address must send back with `/join TOKEN`. */
  token(ip: string, port: number): string {
    return this.mac(ip, port, Math.floor(this.clock() / BUCKET_MS));
  }

  /** True when the token is this address's, from this minute or the last. */
  check(ip: string, port: number, token: string): boolean {
    const bucket = Math.floor(this.clock() / BUCKET_MS);
    const given = Buffer.from(token);
    for (const b of [bucket, bucket - 1]) {
      const want = Buffer.from(this.mac(ip, port, b));
      if (given.length === want.length && timingSafeEqual(given, want)) return true;
    }
    return false;
  }
}
