/** udp-chat as a library, so an instructor can script a lab in TypeScript. */
export { parseCommand, HELP_LINES, type Command } from './core/commands.js';
export { parseDuration, formatDuration } from './core/duration.js';
export { ChatError, type ChatErrorCode } from './core/errors.js';
export { DEFAULT_LIMITS, DEFAULT_PEER_TIMEOUT_MS, DEFAULT_PORT, type Limits } from './core/limits.js';
export { parseServerLine, welcomeTimeout, type ServerLine } from './core/lines.js';
export { validateName, nameKey } from './core/names.js';
export type { LeaveReason, Peer, PeerInfo, PeerLink, TransportName } from './core/peer.js';
export { Room, encodeLine, type RoomEvent, type RoomOptions } from './core/room.js';
export { escapeControls, messageText } from './core/sanitize.js';
export { createDeframer, encodeFrame, type FramingName } from './transports/framing.js';
export { startChatServer, type ChatServer, type ChatServerOptions, type ServerEvent } from './servers/chat-server.js';
export { WsTransport, originAllowed, parseOrigins, type WebStats, type WebPeer } from './transports/ws.js';
export { startEchoServer, upperAscii, type EchoServer, type EchoServerOptions } from './servers/echo-server.js';
export { openConnection, type Connection, type ConnectOptions } from './client/connection.js';
export { ChatSession } from './client/session.js';
export { sendMessages, type SendOptions, type SendResult } from './client/send.js';
export { formatSeq, parseSeq, SeqStats, wallClockMs, MAX_SEQ_TOTAL, type SeqMessage, type SeqResult, type SeqLatency } from './client/seq-stats.js';
