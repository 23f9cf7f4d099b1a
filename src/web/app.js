// udp-chat in a browser: one WebSocket into the room, speaking the same text protocol as `nc`.
// Plain JS with no build step and nothing fetched from elsewhere: classrooms are often offline.
// Every piece of text from the network goes into the page as text (textContent, append of a
// string), never as HTML: a peer's `<img onerror=...>` is shown, not run.
// A module (strict, deferred): the Timeline, the teacher's chart and the Demos view are modules beside it.
import { drawChart, sampler } from './chart.js';
import { startDemos } from './demos.js';
import { startTimeline } from './timeline.js';

const $ = (id) => document.getElementById(id);
const log = $('log');
const text = $('text');
const encoder = new TextEncoder();
const MAX_LOG_LINES = 500;
// A room with a password lists no names in /stats; then /who, every few seconds, does.
// A little over the room's default /who interval (5 s), so timer jitter never makes one too soon.
const WHO_EVERY_MS = 6000;

let socket = null; // the WebSocket, from the moment it is made until it closes
let me = null; // our name, as the server last said it
// What the user gave to join ({ name, password }: the password field holds a password or a
// ticket), kept from Join until Leave so a lost connection can rejoin as the same peer; null when
// the page is not meant to be in the room.
let wanted = null;
let leaving = false; // Leave was pressed (or /quit typed): the close that follows is not a loss
let retries = 0; // reconnections tried since the room last welcomed us
let retryTimer = 0;
// A lost connection is tried again after 0.5 s, doubling to 10 s, each wait jittered down to as
// little as half of itself: a restarted server meets a class of pages spread out, not all at once.
const RETRY_FIRST_MS = 500;
const RETRY_MAX_MS = 10_000;
let rejoin = false; // this connection replaces one that was lost
let reclaims = 0; // times our name was found still taken after coming back (see reclaim)
let reclaimTimer = 0;
const RECLAIM_EVERY_MS = 10_000;
const RECLAIM_TRIES = 6;
// A name a user can choose (index.html's pattern), unlike the address a room calls a peer by until then.
const CHOSEN_NAME = /^[\p{L}\p{N}_.\-]{1,24}$/u;
let beat; // the heartbeat timer
let beats = 0;
let maxBytes = 1200; // the room's message limit, from /stats
let peersFromStats = true;
// Until when an answer to the refresher's /who is hidden from the log. A time, not a count: an
// answer the server never sends (a budget spent) must not leave a user's own /who hidden later.
let whoHiddenUntil = 0;
const WHO_ANSWER_MS = 3000;
let whoLeft = 0; // lines of a /who answer still to come
let whoShown = false; // that answer was asked for by hand: it goes into the log too
let whoPeers = [];
let previous = null; // the last /stats, for the per-second rates
const rates = sampler(); // a minute of them, for the teacher's chart
const TEACHER_KEY = 'udp-chat-teacher';

/** The teacher key from the banner's link, kept for this tab; null without one. */
function teacherKey() {
  return sessionStorage.getItem(TEACHER_KEY);
}

/** The teacher: a page opened on the server's own machine, or one holding the key. The server checks. */
function isTeacher() {
  return /^(localhost|127(\.\d+){3}|\[::1\])$/.test(location.hostname) || teacherKey() !== null;
}

const timeline = startTimeline($('timeline'), { me: () => me, key: teacherKey });
const demos = startDemos($('demos'), { key: teacherKey });

function span(className, content) {
  const s = document.createElement('span');
  s.className = className;
  s.textContent = content;
  return s;
}

function status(message) {
  $('status').textContent = message;
}

/** How long to wait before reconnection `attempt` (0, 1, ...): the doubled delay, jittered into its upper half. */
function retryDelay(attempt) {
  const ceiling = Math.min(RETRY_MAX_MS, RETRY_FIRST_MS * 2 ** Math.min(attempt, 20));
  return Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
}

/** Adds one line to the log, styled by kind: chat, private, notice, error. */
function show(line, kind) {
  const div = document.createElement('div');
  div.className = `line ${kind}`;
  const chat = /^(\[private(?: to \S+)?\] )?<([^>\s]+)> ([\s\S]*)$/.exec(line);
  if (chat && kind !== 'notice' && kind !== 'error') {
    if (chat[1]) div.append(span('mark', chat[1]));
    div.append(span('from', `<${chat[2]}>`), ' ', chat[3]);
  } else div.textContent = line;
  // A private line this page received (`[private] <from> text`, parsed above): its text may show
  // on its arrow in the timeline (ours alone).
  if (chat?.[1] === '[private] ' && kind === 'private' && me) timeline.ownPrivate(chat[2], me, chat[3]);
  pending.push(div);
  if (pending.length > MAX_LOG_LINES) pending.shift();
  // A hidden tab gets no animation frames: its lines go in at once (nothing is drawn anyway).
  if (document.hidden) flush();
  else if (!followFrame) followFrame = requestAnimationFrame(flush);
}

// New lines go into the log once an animation frame, with one scroll to the end: a flood of lines
// (a thousand a second) costs the page a layout a frame rather than a layout a line.
const pending = [];
let followFrame = 0;
function flush() {
  cancelAnimationFrame(followFrame);
  followFrame = 0;
  log.append(...pending.splice(0));
  while (log.childElementCount > MAX_LOG_LINES) log.firstElementChild.remove();
  if (following) log.scrollTop = log.scrollHeight;
}

// The log follows new lines unless the reader has scrolled up to read older ones.
let following = true;
log.addEventListener('scroll', () => {
  following = log.scrollHeight - log.scrollTop - log.clientHeight < 40;
});
// The log shrinks as the layout around it grows (the peer list, the teacher panel): keep its end in view.
new ResizeObserver(() => {
  if (following) log.scrollTop = log.scrollHeight;
}).observe(log);

/** Keeps the log at its end through a change of layout (projector mode, a new view) that reflows it. */
function keepEnd() {
  const was = following;
  requestAnimationFrame(() => {
    if (!was) return;
    following = true;
    log.scrollTop = log.scrollHeight;
  });
}
window.addEventListener('resize', keepEnd);

function kindOf(line) {
  if (line.startsWith('* ')) return 'notice';
  if (line.startsWith('! ')) return 'error';
  // The server's confirmation of a private message we sent.
  if (line.startsWith('[private to ')) return 'private self';
  if (line.startsWith('[private')) return 'private';
  return 'chat';
}

function toMs(amount, unit) {
  return Number(amount) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[unit];
}

/** Sends `/ping hb-N` at a third of the peer timeout, so the room never expires an open page. */
function heartbeat(everyMs) {
  clearInterval(beat);
  beat = setInterval(() => send(`/ping hb-${++beats}`), Math.max(50, everyMs));
}

function send(line) {
  if (socket && socket.readyState === WebSocket.OPEN) socket.send(line);
}

/**
 * Reads the peer list from /who answers: the refresher's, hidden from the log, and (in a room whose
 * /stats lists no names) one typed by hand too, shown.
 */
function whoLine(line) {
  if (whoLeft > 0) {
    // `*   NAME TRANSPORT [ADDRESS] idle AGE`: a room reachable beyond loopback shows no address;
    // a peer on another server of a cluster is `NAME TRANSPORT on SERVER idle AGE`.
    const row = /^\*   (\S+) (\S+)(?: on (\S+)| \S+)? idle (\S+)/.exec(line);
    if (row || line.startsWith('*   ... and ')) {
      whoLeft -= 1;
      if (row) whoPeers.push({ name: row[1], transport: row[2], node: row[3], idle: row[4] });
      if (!peersFromStats) renderPeers(whoPeers);
      return !whoShown;
    }
    whoLeft = 0;
  }
  // The refresher's /who came too soon after one typed by hand: no answer is coming.
  const hiding = performance.now() < whoHiddenUntil;
  if (hiding && /^! \/who answers once every /.test(line)) {
    whoHiddenUntil = 0;
    return true;
  }
  const head = /^\* (\d+) peers? here:$/.exec(line);
  if (head) {
    whoHiddenUntil = 0;
    whoShown = !hiding;
    whoLeft = Number(head[1]);
    whoPeers = [];
    return hiding;
  }
  return false;
}

/** Handles one line from the server. */
function heard(line) {
  if (/^\/pong hb-\d+$/.test(line) || whoLine(line)) return;
  const welcome = /^\* welcome (\S+); .*peer timeout (\d+(?:\.\d+)?)(ms|s|m|h)\b/.exec(line);
  if (welcome) {
    me = welcome[1];
    heartbeat(toMs(welcome[2], welcome[3]) / 3);
    // The room took us (past its password, if it has one): the connection is back for good.
    retries = 0;
    setDown(false);
    status(`joined as ${me}`);
    void poll(); // show ourselves in the list now, not in up to a second
    refreshWho(); // likewise in a room with a password (a list kept from before a restart, refreshed)
  }
  const renamed = /^\* (\S+) is now (\S+)$/.exec(line);
  if (renamed && renamed[1] === me) {
    me = renamed[2];
    // A /nick typed later is the name to come back with after a lost connection (a chosen name:
    // never the address the room calls a peer by before it has one).
    if (wanted && ticketName(wanted.password) === null && CHOSEN_NAME.test(me)) wanted.name = me;
    if (me === wanted?.name) stopReclaiming();
    status(`joined as ${me}`);
    void poll();
  }
  reclaim(line);
  show(line, kindOf(line));
}

/**
 * Back after a lost connection that the server has not noticed yet (a network that dropped, not
 * a server that restarted): it still holds our name for the old connection, until its ping finds
 * that one dead (within two thirds of the peer timeout), so `/nick NAME` gets `! name taken`. Ask
 * again the moment the room says the old one left, and every 10 s (the room's rename interval) in
 * case that notice is missed, for a minute at most. A ticket's name is not retried this way: in a
 * room with a password each refused ticket spends one of the few tries before the page is dropped.
 */
function reclaim(line) {
  // Only when coming back: on a first Join the holder is someone else, whose name is theirs.
  if (!rejoin || !wanted || ticketName(wanted.password) !== null || me === wanted.name) return;
  const taken = /^! name taken: (\S+)$/.exec(line);
  if (taken && taken[1] === wanted.name && reclaims < RECLAIM_TRIES) {
    reclaims += 1;
    clearTimeout(reclaimTimer);
    reclaimTimer = setTimeout(() => send(`/nick ${wanted.name}`), RECLAIM_EVERY_MS);
    status(`joined as ${me}, not yet as ${wanted.name}: the lost connection still holds it`);
    return;
  }
  const left = /^\* (\S+) left \(/.exec(line);
  if (left && left[1] === wanted.name && reclaims > 0) {
    clearTimeout(reclaimTimer);
    send(`/nick ${wanted.name}`);
  }
}

function stopReclaiming() {
  clearTimeout(reclaimTimer);
  reclaims = 0;
}

function setJoined(joined) {
  document.body.classList.toggle('joined', joined);
  $('name').disabled = joined;
  $('password').disabled = joined;
  $('join').querySelector('button').textContent = joined ? 'Leave' : 'Join';
  text.disabled = !joined;
  $('say').querySelector('button').disabled = !joined || isDown();
  text.placeholder = joined ? 'Message, or /help' : 'Join first';
  if (joined) text.focus();
}

/**
 * The connection is lost and being tried again (true), or back or given up (false). While it is
 * down the peer list stays as last seen, greyed and marked so (not emptied: the room is most likely
 * still there), and the message box keeps what is typed in it but sends nothing.
 */
function setDown(down) {
  document.body.classList.toggle('reconnecting', down);
  $('peers-stale').hidden = !down;
  $('say').querySelector('button').disabled = down || !wanted;
  if (wanted) text.placeholder = down ? 'Reconnecting… (what you type here waits)' : 'Message, or /help';
  for (const li of rows.values()) li.querySelector('button').disabled = down || li.classList.contains('you');
}

function isDown() {
  return document.body.classList.contains('reconnecting');
}

function isOpen() {
  return socket !== null && socket.readyState === WebSocket.OPEN;
}

function connect() {
  const { name, password } = wanted;
  const ws = new WebSocket(`${location.origin.replace(/^http/, 'ws')}/`);
  socket = ws;
  rejoin = isDown();
  let opened = false;
  ws.onopen = () => {
    opened = true;
    if (password) ws.send(`/join ${password}`);
    // A ticket carries the name: the server renames us to it once the signature checks out.
    if (ticketName(password) === null) ws.send(`/nick ${name}`);
    heartbeat(20_000);
    // Once: a reconnection leaves the form as it was, and the cursor where the user put it.
    if (!document.body.classList.contains('joined')) setJoined(true);
  };
  ws.onmessage = (event) => {
    if (typeof event.data === 'string') for (const line of event.data.split('\n')) heard(line);
  };
  ws.onclose = (event) => {
    if (socket !== ws) return;
    clearInterval(beat);
    stopReclaiming();
    socket = null;
    const wasDown = isDown();
    me = null;
    whoHiddenUntil = whoLeft = 0;
    // Come back by itself after a loss: the server went away (1001 shutting down, 1006 no close at
    // all, 1011-1014 its trouble) or forgot us (a tab asleep past the peer timeout). Not after
    // Leave or /quit, and not when the room sent us away (1008: a wrong password, an echo loop;
    // 1009: too long), which trying again would only repeat. A first Join that never opened
    // is the user's to retry: most likely the page outlived its server.
    const meant = leaving || event.reason === 'quit';
    const refused = event.code === 1008 || event.code === 1009;
    if (wanted && !meant && !refused && (opened || wasDown)) return lost(event, wasDown);
    stopTrying();
    const why = event.code === 1009 ? 'message too long' : event.reason || (event.code === 1006 ? 'connection lost' : '');
    show(`! disconnected${why ? ` (${why})` : ''}`, 'error');
    status('not connected');
    $('name').focus();
    void poll();
  };
}

/** The connection went away by no choice of ours: say so once, then try again after a backoff. */
function lost(event, wasDown) {
  if (!wasDown) {
    const why = event.reason === 'shutdown' ? 'the server is shutting down' : event.reason === 'timeout' ? 'the room timed us out' : 'connection lost';
    show(`! disconnected (${why}); reconnecting by itself…`, 'error');
    setDown(true);
  }
  // Said once, not at every attempt: a screen reader announces each change of the status.
  if ($('status').textContent !== `reconnecting as ${wanted.name}…`) status(`reconnecting as ${wanted.name}…`);
  const delay = retryDelay(retries++);
  clearTimeout(retryTimer);
  retryTimer = setTimeout(connect, delay);
}

/** No more reconnecting: the page is out of the room until Join. */
function stopTrying() {
  clearTimeout(retryTimer);
  wanted = null;
  leaving = false;
  retries = 0;
  setDown(false);
  setJoined(false);
}

/** Leave: out of the room on purpose, whether connected, connecting or waiting to reconnect. */
function leave() {
  leaving = true;
  if (isOpen()) {
    send('/quit');
    // The server answers `* bye` and closes; one that does not within a moment is closed from here.
    const ws = socket;
    setTimeout(() => ws.close(), 2000);
  } else {
    // Connecting, or waiting to: drop the attempt unheard, and stop.
    if (socket) {
      socket.onclose = null;
      socket.close();
      socket = null;
    }
    clearInterval(beat);
    stopTrying();
    show('! left; not reconnecting', 'error');
    status('not connected');
    $('name').focus();
  }
}

// Back online after being offline: try now rather than at the end of a long backoff.
window.addEventListener('online', () => {
  if (wanted && !socket && isDown()) {
    clearTimeout(retryTimer);
    connect();
  }
});

/** Shows locally what we said: the server does not send our own chat lines back. */
function echo(line) {
  const whisper = /^\/msg (\S+) ([\s\S]+)$/i.exec(line);
  if (whisper) {
    timeline.ownPrivate(me, whisper[1], whisper[2]);
    // Not shown here: the server confirms it, `[private to bob] <me> text`, or says `! no such peer`.
    return;
  }
  if (line.startsWith('//')) line = line.slice(1);
  else if (line.startsWith('/') || /^(rename|to)\|/i.test(line) || /^\s*(who|quit|exit|help)\s*$/i.test(line)) return;
  show(`<${me}> ${line}`, 'chat self');
}

/**
 * The name in a ticket (`udp-chat ticket NAME`, a JWT whose middle part holds `sub`), or null when
 * the value is not one (a password). Read only to fill the name field: the server checks the signature.
 */
function ticketName(value) {
  const jwt = /^eyJ[\w-]*\.([\w-]+)\.[\w-]+$/.exec(value.trim());
  if (!jwt) return null;
  try {
    const bytes = Uint8Array.from(atob(jwt[1].replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));
    const sub = JSON.parse(new TextDecoder().decode(bytes)).sub;
    return typeof sub === 'string' ? sub : null;
  } catch {
    return null;
  }
}

/** A ticket in the password field names us: show its name, which cannot be changed here. */
function ticketChanged() {
  const name = ticketName($('password').value);
  $('name').readOnly = name !== null;
  if (name !== null) $('name').value = name;
}
$('password').addEventListener('input', ticketChanged);

// A link with ?ticket=... (the teacher hands one to each student): the ticket goes into the field
// and out of the address bar, which may be on a projector or in a screenshot.
// The teacher's link (?teacher=KEY, from the banner) likewise: the key goes into this tab's
// sessionStorage, where the timeline and the Demos view find it, and out of the address bar.
const params = new URLSearchParams(location.search);
const linked = params.get('ticket');
if (linked) {
  $('password').value = linked;
  ticketChanged();
}
if (params.get('teacher')) sessionStorage.setItem(TEACHER_KEY, params.get('teacher'));
if (params.has('ticket') || params.has('teacher')) history.replaceState(null, '', location.pathname + location.hash);

$('join').addEventListener('submit', (event) => {
  event.preventDefault();
  if (wanted) return leave();
  const name = $('name').value.trim();
  if (!name) return;
  wanted = { name, password: $('password').value };
  status('connecting…');
  connect();
});

$('say').addEventListener('submit', (event) => {
  event.preventDefault();
  const line = text.value;
  if (!line.trim() || !isOpen()) return;
  const size = encoder.encode(line).length;
  // The server closes a WebSocket that sends more than its limit: refuse here, with its words.
  if (size > maxBytes) return show(`! message too long: ${size} bytes, the limit is ${maxBytes}; not sent`, 'error');
  // A /who typed by hand is answered in the log, even one sent while the refresher's is due.
  // Every spelling the server reads as /who (core/commands.ts): /who, /WHO, /list, a bare `who`.
  if (/^\s*\/(who|list)(\s|$)/i.test(line) || line.trim() === 'who') whoHiddenUntil = 0;
  send(line);
  echo(line);
  text.value = '';
});

// The peer list: rows kept by name and updated in place, so a focused name keeps its focus.
const rows = new Map();

function row(name) {
  const li = document.createElement('li');
  const button = document.createElement('button');
  button.type = 'button';
  button.className = 'name';
  button.textContent = name;
  button.title = `private message to ${name}`;
  button.addEventListener('click', () => {
    text.value = `/msg ${name} `;
    text.focus();
  });
  li.append(button, span('transport', ''), span('idle', ''));
  return li;
}

function renderPeers(list) {
  const ul = $('peers');
  const seen = new Set();
  list.forEach((peer, i) => {
    seen.add(peer.name);
    let li = rows.get(peer.name);
    if (!li) rows.set(peer.name, (li = row(peer.name)));
    const you = peer.name === me;
    li.classList.toggle('you', you);
    li.querySelector('button').disabled = you || !isOpen();
    // A peer on another server of a cluster says which: `udp on b`.
    li.querySelector('.transport').textContent = peer.node ? `${peer.transport} on ${peer.node}` : peer.transport;
    li.querySelector('.transport').className = `transport t-${peer.transport}`;
    li.querySelector('.idle').textContent = you ? 'you' : `idle ${peer.idle}`;
    if (ul.children[i] !== li) ul.insertBefore(li, ul.children[i] ?? null);
  });
  for (const [name, li] of rows) {
    if (!seen.has(name)) {
      li.remove();
      rows.delete(name);
    }
  }
}

function age(ms) {
  const s = Math.floor(ms / 1000);
  return s < 60 ? `${s}s` : s < 3600 ? `${Math.floor(s / 60)}m` : `${Math.floor(s / 3600)}h`;
}

function cell(tag, content) {
  const c = document.createElement(tag);
  c.textContent = typeof content === 'number' ? content.toLocaleString() : content;
  if (tag === 'th') c.scope = 'row';
  return c;
}

/** The teacher's panel: per transport, messages and bytes each way, rates, drops and expiries. */
function teacher(stats, at) {
  const c = stats.counters;
  const seconds = previous ? (at - previous.at) / 1000 : 0;
  $('traffic').replaceChildren(
    // One row per transport the server has: /stats lists every one, in the server's order.
    ...Object.keys(c.traffic).map((t) => {
      const now = c.traffic[t];
      const before = previous?.counters.traffic[t];
      const rate = (key) => (before && seconds > 0 ? Math.round((now[key] - before[key]) / seconds) : 0);
      const tr = document.createElement('tr');
      tr.append(cell('th', t), ...[now.messagesIn, now.bytesIn, now.messagesOut, now.bytesOut, rate('messagesIn'), rate('messagesOut')].map((n) => cell('td', n)));
      return tr;
    }),
  );
  const drops = Object.entries(c.drops)
    .filter(([, n]) => n > 0)
    .map(([reason, n]) => `${reason.replace(/[A-Z]/g, (m) => ` ${m.toLowerCase()}`)} ${n.toLocaleString()}`);
  // Datagrams the OS dropped in the server's socket are drops too: never `none` while there are some.
  if (typeof c.kernelDrops === 'number' && c.kernelDrops > 0) drops.push(`in the server's socket ${c.kernelDrops.toLocaleString()}`);
  $('drops').textContent = drops.join(' · ') || 'none';
  rates.add(c, at);
  if (!$('teacher').hidden) drawChart($('chart'), rates.samples, at);
  // A number where the OS tells (Linux), the words `not available` where it does not.
  $('kernel-drops').textContent = typeof c.kernelDrops === 'number' ? c.kernelDrops.toLocaleString() : String(c.kernelDrops ?? 'not available');
  $('expired').textContent = c.expired.toLocaleString();
  $('joins').textContent = c.joins.toLocaleString();
  $('rejected').textContent = c.rejected.toLocaleString();
  $('teacher-peers').textContent = `${c.peers} peer${c.peers === 1 ? '' : 's'}, peer timeout ${age(stats.peerTimeoutMs)}`;
  // The server adds addresses only for a browser on its own machine: the teacher's, not a student's.
  const located = (stats.peers ?? []).filter((p) => typeof p.address === 'string');
  $('teacher-addresses-box').hidden = located.length === 0;
  $('teacher-addresses').replaceChildren(
    ...located.map((p) => {
      const li = document.createElement('li');
      li.textContent = `${p.name} · ${p.transport} · ${p.address}`;
      return li;
    }),
  );
  previous = { at, counters: c };
}

/**
 * The room's name (`serve --room`, or the cluster's room), in the heading and the tab's title, so a
 * student with two labs open knows which is which. /stats without one: the page as it always was.
 */
let roomName = null;
function showRoom(name) {
  const named = typeof name === 'string' && name !== '' ? name : null;
  if (named === roomName) return;
  roomName = named;
  $('room-name').textContent = named ?? '';
  $('room').hidden = named === null;
  document.title = named ? `${named} · udp-chat` : 'udp-chat';
}

/** Every second: the counters and the peer list, from GET /stats. */
async function poll() {
  try {
    const response = await fetch('stats', { cache: 'no-store' });
    const stats = await response.json();
    maxBytes = stats.maxMessageBytes;
    showRoom(stats.room);
    peersFromStats = Array.isArray(stats.peers);
    if (peersFromStats) renderPeers(stats.peers.map((p) => ({ name: p.name, transport: p.transport, node: p.node, idle: age(p.idleMs) })));
    teacher(stats, performance.now());
  } catch {
    // The server may be restarting: the next second tries again.
  }
}

setInterval(poll, 1000);
poll();
/** In a room with a password, asks /who for the peer list, its answer hidden from the log. */
function refreshWho() {
  if (!peersFromStats && me && isOpen()) {
    whoHiddenUntil = performance.now() + WHO_ANSWER_MS;
    send('/who');
  }
}
setInterval(refreshWho, WHO_EVERY_MS);

// The views and projector mode, each a toggle; which are open is kept in the address's #fragment
// (`#teacher+timeline+projector`), so a bookmark or a link on the projector opens them again.
// Projector mode is remembered in localStorage too: it belongs to the machine, not the link.
const VIEWS = ['teacher', 'timeline', 'demos'];
const PROJECTOR = 'udp-chat-projector';

function opened() {
  return new Set(location.hash.slice(1).split(/[+,]/).filter(Boolean));
}

function setView(name, on) {
  if (name === 'demos' && !isTeacher()) on = false;
  keepEnd();
  $(name).hidden = !on;
  $(`${name}-toggle`).setAttribute('aria-expanded', String(on));
  document.body.classList.toggle(`with-${name}`, on);
  if (name === 'timeline') timeline.show(on);
  if (name === 'demos') demos.show(on);
  if (name === 'teacher' && on) drawChart($('chart'), rates.samples, performance.now());
}

function setProjector(on) {
  keepEnd();
  document.documentElement.classList.toggle('projector', on);
  $('projector-toggle').setAttribute('aria-pressed', String(on));
  try {
    if (on) localStorage.setItem(PROJECTOR, '1');
    else localStorage.removeItem(PROJECTOR);
  } catch {
    // Storage may be off (a private window): the mode still applies to this page.
  }
  timeline.redraw();
}

function remember() {
  const open = VIEWS.filter((v) => !$(v).hidden);
  if (document.documentElement.classList.contains('projector')) open.push('projector');
  history.replaceState(null, '', open.length ? `#${open.join('+')}` : location.pathname);
}

for (const name of VIEWS) {
  $(`${name}-toggle`).addEventListener('click', () => {
    setView(name, $(name).hidden);
    remember();
  });
}
$('projector-toggle').addEventListener('click', () => {
  setProjector(!document.documentElement.classList.contains('projector'));
  remember();
});

function fromHash() {
  const open = opened();
  for (const name of VIEWS) setView(name, open.has(name));
  let stored = false;
  try {
    stored = localStorage.getItem(PROJECTOR) === '1';
  } catch {
    // As above: no storage, no memory.
  }
  setProjector(open.has('projector') || stored);
}
window.addEventListener('hashchange', fromHash);
$('demos-toggle').hidden = !isTeacher();
fromHash();
