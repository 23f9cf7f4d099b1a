/**
 * How big a UDP datagram may be, said for the system a send ran on. Stated, not measured: the
 * client's EMSGSIZE line and the size demo's explanation both read it from here.
 */

/** IPv4's largest UDP payload: 65535 less the IP (20) and UDP (8) headers. Linux and Windows reach it. */
export const IPV4_MAX_DATAGRAM = 65507;

/** macOS refuses sooner, at its sysctl net.inet.udp.maxdgram (9216 bytes by default). */
export const MACOS_MAX_DATAGRAM = 9216;

/** The limit an EMSGSIZE met, for `platform`. */
export function datagramLimit(platform: NodeJS.Platform): string {
  if (platform === 'darwin') return `macOS's default limit is ${MACOS_MAX_DATAGRAM} bytes (sysctl net.inet.udp.maxdgram); IPv4's own is ${IPV4_MAX_DATAGRAM}`;
  return `at most ${IPV4_MAX_DATAGRAM} bytes over IPv4, the limit on Linux; macOS's default is ${MACOS_MAX_DATAGRAM} (net.inet.udp.maxdgram)`;
}
