/** The requests bench-join-storm sends its forked clients, and their replies. */

/** Requests: bind the sockets, send the first datagrams, then report what came back. */
export type ToClients = { type: 'bind'; peers: number; recvBuffer: number } | { type: 'send'; port: number; rate: number; text: string } | { type: 'collect' };

/** Replies. */
export type FromClients =
  | { type: 'bound'; ports: number }
  | { type: 'sent'; sent: number; sendErrors: number; ms: number }
  | { type: 'collected'; datagrams: number; bytes: number; pongs: number; peersWithPong: number };
