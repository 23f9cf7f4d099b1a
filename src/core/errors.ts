/** Codes for every error udp-chat raises on purpose; tests assert these, not the wording. */
export type ChatErrorCode =
  | 'ERR_BAD_DURATION'
  | 'ERR_BAD_PORT'
  | 'ERR_BAD_HOST'
  | 'ERR_BAD_ARGUMENT'
  | 'ERR_BAD_NAME'
  | 'ERR_NAME_TAKEN'
  | 'ERR_NO_SUCH_PEER'
  | 'ERR_UNKNOWN_COMMAND'
  | 'ERR_MESSAGE_TOO_LONG'
  | 'ERR_ROOM_FULL'
  | 'ERR_CONNECTION_REFUSED'
  | 'ERR_CONNECT_TIMEOUT'
  | 'ERR_ADDRESS_IN_USE'
  | 'ERR_SOCKET'
  | 'ERR_FILE'
  | 'ERR_CLUSTER_UNREACHABLE'
  | 'ERR_CLUSTER_NODE_TAKEN';

/** An expected failure: the CLI prints its message on one line and exits 1 (2 for usage). */
export class ChatError extends Error {
  override name = 'ChatError';
  constructor(
    readonly code: ChatErrorCode,
    message: string,
  ) {
    super(message);
  }
}
