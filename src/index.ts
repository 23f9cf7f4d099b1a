/**
 * udp-chat as a library, so an instructor can script a lab in TypeScript: servers, clients, the
 * room and its parser, the impairment proxy and the demos. Types come with them; the room's
 * internals (peers, links, encoders) stay inside.
 */
// Protocol: the parser both dialects share, server lines, names, durations, limits, errors.
export { parseCommand, HELP_LINES, type Command } from './core/commands.js';
export { parseDuration, formatDuration } from './core/duration.js';
export { ChatError, type ChatErrorCode } from './core/errors.js';
export { DEFAULT_LIMITS, DEFAULT_PEER_TIMEOUT_MS, DEFAULT_PORT, NO_LIMITS, type Limits } from './core/limits.js';
export { parseServerLine, welcomeTimeout, type ServerLine } from './core/lines.js';
export { validateName, nameKey } from './core/names.js';
export { escapeControls, messageText } from './core/sanitize.js';
export { createDeframer, encodeFrame, type FramingName } from './transports/framing.js';

// The room, for a server of one's own: a transport is handed room.contextFor() (DESIGN.md).
export { Room, type RoomEvent, type RoomOptions, type RoomCounters, type PeerSnapshot } from './core/room.js';
export type { Channel } from './core/channel.js';
export type { LeaveReason, PeerInfo, PeerLink } from './core/peer.js';
export type { BoundAddress, MessageBudget, RoomDoor, Transport, TransportContext, TransportStats } from './core/transport.js';
export { TRANSPORT_NAMES, type TransportName } from './transports/registry.js';

// Servers.
export { startChatServer, type ChatServer, type ChatServerOptions, type ServerCounters, type ServerEvent, type ServerTransport } from './servers/chat-server.js';
export { startEchoServer, type EchoServer, type EchoServerOptions, type EchoEvent, type EchoCounters } from './servers/echo-server.js';
export { upperAscii } from './servers/upper.js';
export { originAllowed, parseOrigins } from './transports/ws/origin.js';
export type { WebStats } from './transports/ws/page.js';
// The page's live timeline (`/timeline`) and its Demos view's runner (ChatServerOptions.web.demos).
export { TIMELINE_LIMITS } from './core/limits.js';
export type { TimelineAggregate, TimelineEvent } from './core/timeline.js';
export type { DemoRunner } from './transports/ws/demos-endpoint.js';
// Tickets: names signed with a secret (`udp-chat ticket`), checked by a server given the same one.
export { issueTicket, ticketVerifier, DEFAULT_TICKET_ROOM, DEFAULT_TICKET_TTL_MS, type IssueOptions } from './servers/tickets.js';
export type { TicketCheck, TicketOptions, TicketVerifier } from './core/tickets.js';

// Clients.
export { openConnection, CLIENT_TRANSPORTS, type ClientTransport, type Connection, type ConnectOptions } from './client/connection.js';
export { ChatSession } from './client/session.js';
export { sendMessages, type SendOptions, type SendResult } from './client/send.js';
export { formatSeq, parseSeq, SeqStats, MAX_SEQ_TOTAL, type SeqMessage, type SeqResult, type SeqLatency } from './client/seq-stats.js';
export { ping, PING_DEFAULTS, type PingOptions, type PingEvent, type PingResult } from './client/ping.js';
export { formatProbe, PingTally, type PingProbe, type PingRtt, type PingSummary, type ProbeStatus } from './client/ping-stats.js';
// Multicast and broadcast: a serverless room's member, one send to a group or a broadcast address
// (a room's own group: ChatServerOptions.multicast).
export { GroupChat, type GroupChatOptions } from './client/group-chat.js';
export { sendToGroup, type GroupSendOptions, type GroupSendResult } from './client/group-send.js';
export { isMulticast, parseGroup, DEFAULT_MULTICAST_TTL } from './transports/multicast/group.js';

// The impairment proxy (seeded loss, delay, reorder, duplicates) and the classroom demos.
export { startProxy, type Proxy, type ProxyOptions } from './proxy/proxy.js';
export { startUdpProxy, type UdpProxy } from './proxy/udp-proxy.js';
export { startTcpProxy, NO_TCP_IMPAIRMENT, type TcpProxy, type TcpImpairment } from './proxy/tcp-proxy.js';
export { NO_IMPAIRMENT, type UdpImpairment } from './transports/policy.js';
export { DEMOS } from './demos/demos.js';
export { demoHtml, demoSvg } from './demos/draw/index.js';
export type { DemoOptions, DemoResult } from './demos/common.js';
