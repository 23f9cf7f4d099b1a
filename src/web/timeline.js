// The Timeline view: the room's events from GET /timeline (a read-only WebSocket), drawn as a
// sequence diagram in SVG. Time runs down the screen, one row per event; a lane per peer coloured by
// its transport, and the room's lane on the left. Built with DOM calls only: every name and message
// from the network goes in as a text node, and colours come from classes (the page's CSP allows no
// inline style), resolved into attributes only when the view is exported as a file.
//
// Bounded on purpose: the page keeps at most MAX_EVENTS rows and DETAIL_MS of them, draws only the
// rows that fit the view, and draws at most once an animation frame, so a flood the server turns
// into aggregates cannot stall the page either.

import { el, SVG_NS } from './svg.js';

/** The most rows the page keeps, and for how long (in the server's clock). */
export const MAX_EVENTS = 5000;
export const DETAIL_MS = 30_000;
const REPLAY_MS = 30_000;
const REPLAY_SPEED = 0.1;
const ZOOMS = [0.6, 0.75, 0.9, 1, 1.2, 1.45, 1.75, 2.1];
const GAP_MS = 1000; // a pause longer than this between two rows is drawn as a gap with its length
const GAP_ROWS = 1.5; // the gap's height in rows: a dotted line with its length written under it
const PRIVATE_KEPT = 50; // this page's own private lines, kept to put their text on their arrows
const OWN_PRIVATE_MS = 5000; // ... for this long

const TRANSPORTS = new Set(['udp', 'tcp', 'ws']);
// What XML 1.0 does not allow in a document (its Char production), lone surrogates included.
const NOT_XML = /[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]/u;
const NOT_XML_ALL = new RegExp(NOT_XML.source, 'gu');
const tOf = (transport) => (TRANSPORTS.has(transport) ? transport : 'other');

function words(reason) {
  return String(reason).replace(/[A-Z]/g, (m) => ` ${m.toLowerCase()}`);
}

function clip(text, chars) {
  const s = String(text);
  return s.length <= chars ? s : `${s.slice(0, Math.max(1, chars - 1))}…`;
}

/**
 * Starts the view in `section` (the #timeline element and the controls inside it). `me()` gives the
 * page's own name (or null), `key()` the teacher key (or null). Returns what app.js drives.
 */
export function startTimeline(section, { me, key, onState = () => {} }) {
  const view = section.querySelector('.tl-view');
  const svg = el('svg', { class: 'tl', role: 'img', 'aria-labelledby': 'tl-svg-title' });
  const svgTitle = el('title', { id: 'tl-svg-title' }, 'Timeline: no events yet');
  const layer = el('g');
  svg.append(svgTitle, layer);
  view.append(svg);
  const status = section.querySelector('.tl-status');

  // The store: rows in arrival order, each with a sequence number (`seq`) that survives pruning.
  let store = [];
  let nextSeq = 0;
  let notKept = 0; // rows pruned from the front (too many, or older than DETAIL_MS)
  let latestT = 0;
  // Lanes by id; names map to ids, and a rename moves the name, so a peer keeps its lane.
  const lanes = new Map();
  const laneOf = new Map();
  let nextLane = 0;
  // The server's room clock against the page's: the hello's `now` is "now" here.
  let wallOffset = 0;
  let skippedBefore = 0; // the feed counts missed batches since this page subscribed
  const ownPrivate = [];

  // The view's state: which rows (the live store, or a replay's snapshot), whether time moves,
  // which row is the last shown (by seq), and how far the reader has scrolled back from it.
  let source = 'store';
  let playing = true;
  let cursor = -1;
  let replay = null; // { rows, from, startedAt, pausedAt }
  let back = 0;
  let zoom = ZOOMS.indexOf(1);
  let feed = null;
  let wanted = false;
  let retry = null;
  let frame = 0;

  function lane(name, transport) {
    let id = laneOf.get(name);
    if (id === undefined) {
      id = nextLane++;
      laneOf.set(name, id);
      lanes.set(id, { id, name, transport: tOf(transport), present: false });
    }
    const l = lanes.get(id);
    if (transport && TRANSPORTS.has(transport)) l.transport = transport;
    return l;
  }

  function push(row) {
    row.seq = nextSeq++;
    store.push(row);
  }

  function prune() {
    let cut = Math.max(0, store.length - MAX_EVENTS);
    while (cut < store.length && store[cut].t < latestT - DETAIL_MS) cut += 1;
    if (cut > 0) {
      store = store.slice(cut);
      notKept += cut;
    }
    // Lanes of peers that left and have no row kept any more are forgotten.
    if (lanes.size > 64) {
      const used = new Set(store.map((r) => r.lane));
      for (const [id, l] of lanes) if (!l.present && !used.has(id) && laneOf.get(l.name) === id) {
        lanes.delete(id);
        laneOf.delete(l.name);
      }
    }
  }

  function claimPrivate(row) {
    if (row.ownText !== undefined) return;
    // Only a line of the last few seconds: the feed is at most a batch behind the chat, and an
    // older line to the same peer (sent before the view opened) must not lend its text.
    const recent = performance.now() - OWN_PRIVATE_MS;
    const i = ownPrivate.findIndex((p) => p.from === row.peer && p.to === row.to && p.at >= recent);
    if (i >= 0) row.ownText = ownPrivate.splice(i, 1)[0].text;
  }

  function ingest(e) {
    if (!e || typeof e !== 'object' || typeof e.t !== 'number') return;
    latestT = Math.max(latestT, e.t);
    const peer = typeof e.peer === 'string' ? e.peer : null;
    const transport = typeof e.transport === 'string' ? e.transport : undefined;
    const l = peer === null ? null : lane(peer, transport);
    // A peer's own events need the peer: one without (bad bytes) is dropped, not thrown on.
    if (!l && (e.e === 'join' || e.e === 'leave' || e.e === 'rename')) return;
    const row = { kind: String(e.e), t: e.t, lane: l ? l.id : null, peer, transport: l ? l.transport : tOf(transport) };
    switch (e.e) {
      case 'join':
        l.present = true;
        break;
      case 'leave':
        l.present = false;
        row.reason = String(e.reason ?? '');
        break;
      case 'rename': {
        // The lane takes the new name; a stale lane of that name (a peer long gone) gives it up.
        const to = String(e.to);
        laneOf.delete(l.name);
        laneOf.set(to, l.id);
        l.name = to;
        row.to = to;
        break;
      }
      case 'read':
        row.bytes = Number(e.bytes) || 0;
        row.messages = Number(e.messages) || 0;
        // A datagram or a WebSocket frame is one message: its arrow says it all. A stream's read is
        // drawn, since what it cut (three lines, or half of one) is the point of the picture.
        row.hidden = row.transport !== 'tcp' && row.messages === 1;
        break;
      case 'message':
        row.bytes = Number(e.bytes) || 0;
        row.receivers = Number(e.receivers) || 0;
        if (typeof e.to === 'string') {
          row.to = e.to;
          row.private = true;
          claimPrivate(row);
        } else row.text = String(e.text ?? '');
        break;
      case 'command':
        row.command = String(e.command ?? '');
        break;
      case 'drop':
        row.reason = String(e.reason ?? 'dropped');
        row.count = Math.max(1, Number(e.count) || 1);
        break;
      default:
        return;
    }
    push(row);
  }

  function aggregate(a) {
    const sum = (o) => Object.values(o ?? {}).reduce((s, n) => s + (Number(n) || 0), 0);
    const from = Number(a.from) || latestT;
    latestT = Math.max(latestT, Number(a.to) || from);
    push({ kind: 'aggregate', t: from, lane: null, messages: sum(a.messages), reads: sum(a.reads), drops: sum(a.drops), ms: Math.max(1, (Number(a.to) || from) - from), byTransport: a.messages ?? {} });
  }

  function present(peers) {
    if (!Array.isArray(peers)) return;
    for (const l of lanes.values()) l.present = false;
    for (const p of peers) if (typeof p?.name === 'string') lane(p.name, p.transport).present = true;
  }

  function onFrame(data) {
    let m;
    try {
      m = JSON.parse(data);
    } catch {
      return;
    }
    if (m?.type === 'hello') {
      wallOffset = Date.now() - Number(m.now);
      latestT = Math.max(latestT, Number(m.now) || 0);
      skippedBefore = 0;
      present(m.peers);
    } else if (m?.type === 'batch') {
      for (const e of Array.isArray(m.events) ? m.events : []) ingest(e);
      if (m.aggregate) aggregate(m.aggregate);
      // Peers that came and went in aggregated time: the server says who is here now.
      if (Array.isArray(m.peers)) present(m.peers);
      const skipped = Number(m.skipped) || 0;
      if (skipped > skippedBefore) push({ kind: 'skipped', t: latestT, lane: null, batches: skipped - skippedBefore });
      skippedBefore = Math.max(skippedBefore, skipped);
      latestT = Math.max(latestT, Number(m.now) || 0);
      prune();
    } else return;
    draw();
  }

  // --- the feed --------------------------------------------------------------------------------

  function connect() {
    clearTimeout(retry);
    if (!wanted || feed) return;
    const k = key();
    const ws = new WebSocket(`${location.origin.replace(/^http/, 'ws')}/timeline${k ? `?key=${encodeURIComponent(k)}` : ''}`);
    feed = ws;
    setFeed('connecting');
    let opened = false;
    ws.onopen = () => {
      opened = true;
      setFeed('open');
    };
    ws.onmessage = (event) => {
      if (typeof event.data === 'string') onFrame(event.data);
    };
    ws.onclose = () => {
      if (feed !== ws) return;
      feed = null;
      // Refused at the handshake (403: a room with a password, and no teacher key here): say so,
      // and try again only slowly; a feed that was open and closed (a restart) comes back sooner.
      setFeed(opened ? 'closed' : 'refused');
      if (wanted) retry = setTimeout(connect, opened ? 1000 : 10_000);
    };
  }

  function setFeed(state) {
    section.dataset.feed = state;
    const says = {
      connecting: 'connecting to the room’s timeline…',
      open: '',
      closed: 'timeline feed closed; reconnecting…',
      refused: 'the timeline is refused: in a room with a password it needs the teacher’s link (?teacher=KEY) or the server’s own machine',
    };
    status.textContent = says[state] ?? '';
    draw();
  }

  // --- the view's state ------------------------------------------------------------------------

  function rows() {
    return source === 'replay' ? replay.rows : store;
  }

  /** Index in rows() of the last row shown. */
  function endIndex() {
    const list = rows();
    if (source === 'store' && playing) return list.length - 1;
    const first = list.length ? list[0].seq : 0;
    return Math.min(list.length - 1, Math.max(-1, cursor - first));
  }

  function setState(nextSource, nextPlaying) {
    source = nextSource;
    playing = nextPlaying;
    if (source === 'store') replay = null;
    back = 0;
    const mode = source === 'store' ? (playing ? 'live' : 'paused') : playing ? 'replay' : 'replay-paused';
    section.dataset.mode = mode;
    const pause = section.querySelector('[data-action="pause"]');
    pause.setAttribute('aria-pressed', String(!playing));
    pause.textContent = playing ? 'Pause' : 'Resume';
    section.querySelector('[data-action="live"]').disabled = mode === 'live';
    onState(mode);
    draw();
  }

  function pause() {
    if (!playing) return resume();
    const list = rows();
    if (source === 'store') cursor = list.length ? list[list.length - 1].seq : -1;
    else replay.pausedAt = performance.now();
    setState(source, false);
  }

  function resume() {
    if (source === 'replay') {
      // The replay clock picks up where it stopped.
      replay.startedAt += performance.now() - (replay.pausedAt ?? performance.now());
      replay.pausedAt = null;
      setState('replay', true);
    } else setState('store', true);
  }

  /** One more row (pausing first): the next event the store or the replay holds. */
  function step() {
    if (playing) pause();
    const list = rows();
    const i = endIndex();
    let j = i + 1;
    while (j < list.length && list[j].hidden) j += 1;
    if (j < list.length) cursor = list[j].seq;
    back = 0;
    draw();
  }

  /** Plays the last REPLAY_MS again at REPLAY_SPEED, from a copy, so pruning cannot take it away. */
  function startReplay() {
    const from = latestT - REPLAY_MS;
    const list = store.filter((r) => r.t >= from);
    if (!list.length) return;
    replay = { rows: list, from: list[0].t, startedAt: performance.now(), pausedAt: null };
    cursor = list[0].seq - 1;
    setState('replay', true);
    tick();
  }

  function live() {
    setState('store', true);
  }

  function setZoom(i) {
    zoom = Math.max(0, Math.min(ZOOMS.length - 1, i));
    section.dataset.zoom = String(ZOOMS[zoom]);
    draw();
  }

  function scroll(rowsBack) {
    if (playing) pause();
    back = Math.max(0, Math.min(endIndex(), back + rowsBack));
    draw();
  }

  // The replay clock runs at 1/10 of real time: each frame shows the rows whose time has come.
  function tick() {
    if (source !== 'replay' || !playing) return;
    const t = replay.from + (performance.now() - replay.startedAt) * REPLAY_SPEED;
    const list = replay.rows;
    let i = endIndex();
    while (i + 1 < list.length && list[i + 1].t <= t) i += 1;
    if (i >= 0 && list[i].seq !== cursor) {
      cursor = list[i].seq;
      draw();
    }
    section.dataset.replayAt = String(Math.round(t - replay.from));
    if (i >= list.length - 1) {
      // The end of the recording: stay on it, paused, until Live or Replay.
      replay.pausedAt = performance.now();
      setState('replay', false);
      return;
    }
    requestAnimationFrame(tick);
  }

  // --- drawing ---------------------------------------------------------------------------------

  function draw() {
    if (!frame) frame = requestAnimationFrame(render);
  }

  /** The wall-clock time of room time `t`; on a narrow view, the seconds alone. */
  function clock(t, narrow) {
    const d = new Date(t + wallOffset);
    const two = (n) => String(n).padStart(2, '0');
    const seconds = `${two(d.getSeconds())}.${String(d.getMilliseconds()).padStart(3, '0')}`;
    return narrow ? `:${seconds}` : `${two(d.getHours())}:${two(d.getMinutes())}:${seconds}`;
  }

  function height(row, u) {
    switch (row.kind) {
      case 'message':
        return 1.75 * u;
      case 'read':
      case 'drop':
      case 'aggregate':
        return 1.35 * u;
      default:
        return 1.05 * u;
    }
  }

  function render() {
    frame = 0;
    section.dataset.events = String(store.length);
    section.dataset.notKept = String(notKept);
    if (section.hidden) return;
    const width = view.clientWidth;
    const viewHeight = view.clientHeight;
    if (!width || !viewHeight) return;
    const font = parseFloat(getComputedStyle(view).fontSize) || 16;
    const z = ZOOMS[zoom];
    const fs = font * 0.8 * z;
    const u = font * 1.35 * z;
    const list = rows();
    const end = endIndex() - back;
    const head = 1.9 * u;

    // The rows that fit, from the last shown upwards; hidden rows (a datagram's read) take no space.
    const shown = [];
    let used = head;
    for (let i = end; i >= 0; i -= 1) {
      const r = list[i];
      if (r.hidden) continue;
      const next = shown.length ? shown[shown.length - 1] : null;
      const gap = next && next.t - r.t > GAP_MS ? GAP_ROWS * u : 0;
      const h = height(r, u);
      if (used + h + gap > viewHeight && shown.length) break;
      used += h + gap;
      shown.push(r);
    }
    shown.reverse();

    // Lanes: the room, then every peer seen in the shown rows or present now, in order of arrival.
    const laneIds = new Set();
    for (const r of shown) if (r.lane !== null) laneIds.add(r.lane);
    if (source === 'store' && playing) for (const l of lanes.values()) if (l.present) laneIds.add(l.id);
    const peerLanes = [...laneIds].filter((id) => lanes.has(id)).sort((a, b) => a - b).map((id) => lanes.get(id));
    // A phone's view gives the time column the seconds only: the lanes need the width.
    const narrow = width < fs * 34;
    const timeW = fs * (narrow ? 4.4 : 7.2);
    const minLane = fs * 7;
    const laneW = Math.max(minLane, (width - timeW) / (peerLanes.length + 1));
    const totalW = Math.max(width, timeW + laneW * (peerLanes.length + 1));
    const x = new Map();
    const roomX = timeW + laneW / 2;
    peerLanes.forEach((l, i) => x.set(l.id, timeW + laneW * (i + 1.5)));
    const svgH = Math.max(viewHeight, used);
    svg.setAttribute('width', String(totalW));
    svg.setAttribute('height', String(svgH));
    svg.setAttribute('viewBox', `0 0 ${totalW} ${svgH}`);
    svg.setAttribute('font-size', String(fs));

    const parts = [];
    const who = me();
    // The lanes: lines first, so arrows cross over them; the names in a band across the top.
    parts.push(el('rect', { class: 'tl-head', x: 0, y: 0, width: totalW, height: head }));
    parts.push(el('text', { class: 'tl-label tl-time', x: fs * 0.3, y: head * 0.62 }, 'time'));
    parts.push(el('line', { class: 'tl-lane room', x1: roomX, x2: roomX, y1: head, y2: svgH }));
    parts.push(el('text', { class: 'tl-lane-name room', x: roomX, y: head * 0.62, 'text-anchor': 'middle' }, 'room'));
    for (const l of peerLanes) {
      const lx = x.get(l.id);
      const g = el('g', { class: `tl-lane-g t-${l.transport}${l.name === who ? ' you' : ''}${l.present ? '' : ' gone'}`, 'data-lane': l.name, 'data-transport': l.transport });
      g.append(el('line', { class: 'tl-lane', x1: lx, x2: lx, y1: head, y2: svgH }));
      const label = clip(l.name === who ? `${l.name} (you)` : l.name, Math.floor(laneW / (fs * 0.6)) - 4);
      g.append(el('text', { class: 'tl-lane-name', x: lx, y: head * 0.45, 'text-anchor': 'middle' }, label));
      g.append(el('text', { class: 'tl-lane-transport', x: lx, y: head * 0.85, 'text-anchor': 'middle' }, l.transport));
      parts.push(g);
    }

    let y = head;
    let lastClock = '';
    const charsBetween = (x1, x2) => Math.max(4, Math.floor(Math.abs(x2 - x1) / (fs * 0.55)) - 1);
    for (let i = 0; i < shown.length; i += 1) {
      const r = shown[i];
      const prev = shown[i - 1];
      if (prev && r.t - prev.t > GAP_MS) {
        const gy = y + 0.3 * u;
        parts.push(el('line', { class: 'tl-gap', x1: 0, x2: totalW, y1: gy, y2: gy }));
        // Under the line in the time column, where no lane runs and no row's time is written.
        parts.push(el('text', { class: 'tl-label', x: fs * 0.3, y: gy + 0.95 * u }, `${((r.t - prev.t) / 1000).toFixed(1)} s later`));
        y += GAP_ROWS * u;
      }
      const h = height(r, u);
      const g = el('g', { class: `tl-row tl-${r.kind} t-${r.transport ?? 'other'}`, 'data-kind': r.kind, 'data-seq': r.seq, 'data-t': r.t });
      if (r.peer) g.setAttribute('data-peer', r.peer);
      if (r.transport) g.setAttribute('data-transport', r.transport);
      const stamp = clock(r.t, narrow);
      if (stamp !== lastClock) g.append(el('text', { class: 'tl-label tl-time', x: fs * 0.3, y: y + u * 0.8 }, stamp));
      lastClock = stamp;
      const px = r.lane === null ? roomX : x.get(r.lane) ?? roomX;
      drawRow(g, r, { y, h, u, fs, px, roomX, x, peerLanes, totalW, timeW, who, charsBetween });
      parts.push(g);
      y += h;
    }
    if (!shown.length) {
      const says = section.dataset.feed === 'open' ? 'Nothing has happened yet: events appear here as the room hears them.' : status.textContent || 'The timeline is closed.';
      parts.push(el('text', { class: 'tl-label', x: fs * 0.5, y: head + u * 1.2 }, says));
    }
    layer.replaceChildren(...parts);
    section.dataset.rows = String(shown.length);
    section.dataset.lanes = String(peerLanes.length);
    svgTitle.textContent = `Timeline: ${shown.length} of ${store.length} events shown, ${peerLanes.length} peer lanes and the room`;
  }

  function head(x, y, dir, s) {
    return el('polygon', { class: 'tl-head-arrow', points: `${x},${y} ${x - dir * s},${y - s / 2} ${x - dir * s},${y + s / 2}` });
  }

  function drawRow(g, r, o) {
    const { y, u, fs, px, roomX, x, peerLanes, who } = o;
    const s = fs * 0.6;
    switch (r.kind) {
      case 'message': {
        const ay = y + 0.95 * u;
        const dir = roomX < px ? -1 : 1;
        g.append(el('line', { class: `tl-arrow${r.private ? ' private' : ''}`, x1: px, y1: ay, x2: roomX - dir * s * 0.2, y2: ay }), head(roomX, ay, dir, s));
        g.setAttribute('data-bytes', r.bytes);
        g.setAttribute('data-receivers', r.receivers);
        let label;
        if (r.private) {
          g.setAttribute('data-private', 'true');
          g.setAttribute('data-to', r.to);
          if (r.peer === who || r.to === who) claimPrivate(r);
          // The feed never carries a private text; this page's own (sent or received) it knows.
          label = r.ownText !== undefined ? `[private to ${r.to}] ${r.ownText}` : `private → ${r.to}`;
        } else label = r.text;
        const tx = Math.min(px, roomX) + s;
        const text = el('text', { class: 'tl-text', x: tx, y: ay - fs * 0.35 }, clip(label, o.charsBetween(px, roomX) + 2));
        text.append(el('title', {}, `${r.peer}: ${label} (${r.bytes} B)`));
        g.append(text);
        // Out of the room: to the one named, or to every other peer present.
        const fy = y + 1.45 * u;
        const targets = r.private ? peerLanes.filter((l) => l.name === r.to) : peerLanes.filter((l) => l.id !== r.lane && l.present);
        const shownTargets = targets.slice(0, Math.max(0, r.receivers));
        if (shownTargets.length) {
          const far = Math.max(...shownTargets.map((l) => x.get(l.id)));
          g.append(el('line', { class: `tl-fan${r.private ? ' private' : ''}`, x1: roomX, y1: fy, x2: far, y2: fy }));
          for (const l of shownTargets) g.append(head(x.get(l.id), fy, 1, s * 0.8));
        }
        g.append(el('text', { class: 'tl-label', x: roomX - s * 0.6, y: fy + fs * 0.35, 'text-anchor': 'end' }, `→${r.receivers}`));
        break;
      }
      case 'command': {
        const ay = y + 0.6 * u;
        const dir = roomX < px ? -1 : 1;
        g.append(el('line', { class: 'tl-arrow command', x1: px, y1: ay, x2: roomX - dir * s * 0.2, y2: ay }), head(roomX, ay, dir, s * 0.8));
        g.append(el('text', { class: 'tl-label', x: Math.min(px, roomX) + s, y: ay - fs * 0.3 }, clip(`/${r.command}`, o.charsBetween(px, roomX))));
        g.setAttribute('data-command', r.command);
        break;
      }
      case 'read': {
        // What the transport read at once: its bytes, and how many messages the framer cut from them.
        // A read of 0 bytes is the end of the stream (the peer's FIN); it may end a last line.
        const cut = r.messages === 0 ? (r.bytes === 0 ? '' : ' → no message yet') : ` → ${r.messages} message${r.messages === 1 ? '' : 's'}`;
        const label = r.bytes === 0 ? `end of stream (FIN)${cut}` : `read ${r.bytes} B${cut}`;
        const w = (label.length + 2) * fs * 0.62;
        // On its lane, but inside the picture: the last lane's box leans left.
        const bx = Math.max(o.timeW, Math.min(o.totalW - w - 2, px - w / 2));
        g.setAttribute('data-bytes', r.bytes);
        g.setAttribute('data-messages', r.messages);
        g.append(el('rect', { class: 'tl-read-box', x: bx, y: y + 0.15 * u, width: w, height: 1.05 * u, rx: fs * 0.25 }));
        g.append(el('text', { class: 'tl-text', x: bx + w / 2, y: y + 0.85 * u, 'text-anchor': 'middle' }, label));
        break;
      }
      case 'drop': {
        const ay = y + 0.8 * u;
        const mid = r.lane === null ? roomX : (px + roomX) / 2;
        g.setAttribute('data-reason', r.reason);
        if (r.lane !== null) g.append(el('line', { class: 'tl-arrow drop', x1: px, y1: ay, x2: mid, y2: ay }));
        g.append(el('path', { class: 'tl-cross', d: `M${mid - s / 2},${ay - s / 2}l${s},${s}m0,${-s}l${-s},${s}` }));
        g.append(el('text', { class: 'tl-text drop', x: r.lane === null ? roomX + s : Math.min(px, mid) + s * 0.2, y: ay - fs * 0.45 }, `dropped: ${words(r.reason)}${r.count > 1 ? ` ×${r.count}` : ''}`));
        break;
      }
      case 'join':
      case 'leave':
      case 'rename': {
        const say = r.kind === 'join' ? `joins (${r.transport})` : r.kind === 'leave' ? `left (${r.reason})` : `now ${r.to}`;
        g.append(el('circle', { class: 'tl-dot', cx: px, cy: y + 0.5 * u, r: s * 0.4 }));
        // Right of the dot, or left of it where the picture ends first (the last lane).
        const left = px + s * 0.8 + say.length * fs * 0.6 > o.totalW;
        g.append(el('text', { class: 'tl-label', x: left ? px - s * 0.8 : px + s * 0.8, y: y + 0.5 * u + fs * 0.35, 'text-anchor': left ? 'end' : 'start' }, say));
        break;
      }
      case 'aggregate': {
        g.setAttribute('data-messages', r.messages);
        g.append(el('rect', { class: 'tl-band', x: roomX - s, y: y + 0.1 * u, width: o.totalW - roomX + s, height: 1.15 * u }));
        const parts = Object.entries(r.byTransport).filter(([, n]) => n > 0).map(([t, n]) => `${t} ${n}`);
        const drops = r.drops ? `, ${r.drops} dropped` : '';
        g.append(el('text', { class: 'tl-text', x: roomX + s * 0.2, y: y + 0.85 * u }, `${r.messages} messages in ${r.ms} ms (aggregated${parts.length ? `: ${parts.join(' · ')}` : ''})${drops}`));
        break;
      }
      case 'skipped':
        g.append(el('text', { class: 'tl-text drop', x: roomX + s * 0.2, y: y + 0.7 * u }, `${r.batches} updates missed (this page read too slowly)`));
        break;
      default:
    }
  }

  // --- export ----------------------------------------------------------------------------------

  // Properties resolved from the page's CSS into attributes, so the file looks as the view does.
  const PAINT = ['fill', 'stroke', 'stroke-width', 'stroke-dasharray', 'opacity', 'font-family', 'font-size', 'font-weight', 'font-style', 'visibility'];

  /** The view as a standalone SVG document (a string): xmlns, colours resolved, a background. */
  function exportSvg() {
    if (frame) {
      cancelAnimationFrame(frame);
      render();
    }
    const copy = svg.cloneNode(true);
    const from = [svg, ...svg.querySelectorAll('*')];
    const to = [copy, ...copy.querySelectorAll('*')];
    from.forEach((node, i) => {
      const cs = getComputedStyle(node);
      for (const p of PAINT) {
        const v = cs.getPropertyValue(p);
        if (v) to[i].setAttribute(p, v);
      }
      to[i].removeAttribute('class');
    });
    // A peer's text may hold characters XML does not allow (U+FFFF, U+FFFE: the room relays them,
    // a terminal shows nothing): XMLSerializer writes them as they are, and one message would make
    // the saved file fail to open. Each becomes U+FFFD, as a lone surrogate would in the file's UTF-8.
    for (const node of [copy, ...copy.querySelectorAll('*')]) {
      for (const a of [...node.attributes]) if (NOT_XML.test(a.value)) node.setAttribute(a.name, a.value.replace(NOT_XML_ALL, '\ufffd'));
      for (const t of node.childNodes) if (t.nodeType === Node.TEXT_NODE && NOT_XML.test(t.nodeValue)) t.nodeValue = t.nodeValue.replace(NOT_XML_ALL, '\ufffd');
    }
    copy.setAttribute('xmlns', SVG_NS);
    copy.setAttribute('version', '1.1');
    copy.removeAttribute('aria-labelledby');
    const bg = getComputedStyle(section).backgroundColor;
    const back = el('rect', { x: 0, y: 0, width: '100%', height: '100%', fill: bg && bg !== 'rgba(0, 0, 0, 0)' ? bg : getComputedStyle(document.body).backgroundColor });
    const title = copy.querySelector('title');
    title.removeAttribute('id');
    title.textContent = `udp-chat timeline, ${new Date().toISOString()}`;
    const desc = el('desc', {}, `${section.dataset.rows ?? 0} events of the room, time running down; the room's lane on the left, one lane per peer coloured by transport (udp, tcp, ws).`);
    title.after(desc, back);
    return new XMLSerializer().serializeToString(copy);
  }

  function download() {
    const text = exportSvg();
    const url = URL.createObjectURL(new Blob([text], { type: 'image/svg+xml' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = `udp-chat-timeline-${new Date().toISOString().replace(/[:.]/g, '-')}.svg`;
    a.hidden = true;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
    section.dataset.exported = String(text.length);
    return text;
  }

  // --- controls --------------------------------------------------------------------------------

  const actions = {
    pause,
    step,
    replay: startReplay,
    live,
    'zoom-in': () => setZoom(zoom + 1),
    'zoom-out': () => setZoom(zoom - 1),
    export: download,
  };
  section.addEventListener('click', (event) => {
    const button = event.target.closest('button[data-action]');
    if (button && actions[button.dataset.action]) actions[button.dataset.action]();
  });
  // Keys work anywhere in the view but in a text field: Space/P pause, . or N step, R replay, L live,
  // + and - zoom, arrows and Page keys scroll back (pausing), End goes live, S saves the SVG.
  section.addEventListener('keydown', (event) => {
    if (event.altKey || event.ctrlKey || event.metaKey || event.target.closest('input, textarea')) return;
    const onButton = event.target.closest('button');
    const k = event.key;
    const act = {
      p: pause,
      ' ': onButton ? null : pause,
      '.': step,
      n: step,
      r: startReplay,
      l: live,
      End: live,
      '+': actions['zoom-in'],
      '=': actions['zoom-in'],
      '-': actions['zoom-out'],
      '0': () => setZoom(ZOOMS.indexOf(1)),
      s: download,
      ArrowUp: () => scroll(1),
      ArrowDown: () => scroll(-1),
      PageUp: () => scroll(10),
      PageDown: () => scroll(-10),
    }[k.length === 1 ? k.toLowerCase() : k];
    if (!act) return;
    event.preventDefault();
    act();
  });
  view.addEventListener(
    'wheel',
    (event) => {
      if (Math.abs(event.deltaY) < 1) return;
      event.preventDefault();
      scroll(event.deltaY < 0 ? 3 : -3);
    },
    { passive: false },
  );
  new ResizeObserver(() => draw()).observe(view);
  setState('store', true);
  setZoom(zoom);

  return {
    /** Opens or closes the view: the feed is open only while the view is. */
    show(on) {
      wanted = on;
      if (on) connect();
      else {
        clearTimeout(retry);
        const ws = feed;
        feed = null;
        ws?.close();
        setFeed('closed');
        status.textContent = '';
      }
      draw();
    },
    /** A private line this page sent or received: its text may go on its arrow here. */
    ownPrivate(from, to, text) {
      ownPrivate.push({ from, to, text, at: performance.now() });
      if (ownPrivate.length > PRIVATE_KEPT) ownPrivate.shift();
      draw();
    },
    redraw: draw,
    exportSvg,
  };
}
