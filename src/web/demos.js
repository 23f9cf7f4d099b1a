// The Demos view (the teacher's): lists the server's demos (GET /demos), runs one on the server's
// machine (POST /demos/NAME with the teacher key), and animates its diagram step by step by the
// `data-step` of its groups. The diagram is the server's own SVG, parsed as XML (never as HTML),
// with anything that could run or restyle the page taken out before it is shown.

import { SVG_NS } from './svg.js';

// Play takes about PLAY_MS whatever the number of steps (a run of 50 messages has 150 and more),
// but never faster than a step in MIN_STEP_MS: a class must be able to follow it.
const PLAY_MS = 20_000;
const MIN_STEP_MS = 120;
const MAX_STEP_MS = 700;

/** Starts the view in `section`; `key()` gives the teacher key, or null (a loopback page sends an empty one). */
export function startDemos(section, { key }) {
  const list = section.querySelector('.demo-list');
  const status = section.querySelector('.demo-status');
  const figure = section.querySelector('.demo-figure');
  const explanation = section.querySelector('.demo-explanation');
  const controls = section.querySelector('.demo-controls');
  let steps = [];
  let at = -1;
  let timer = null;
  let busy = false;
  let loaded = false;

  function say(text, kind = '') {
    status.textContent = text;
    status.className = `demo-status ${kind}`;
  }

  async function load() {
    if (loaded) return;
    try {
      const response = await fetch('demos', { cache: 'no-store' });
      if (!response.ok) throw new Error(`${response.status}`);
      const demos = await response.json();
      list.replaceChildren(
        ...(Array.isArray(demos) ? demos : []).map((d) => {
          const li = document.createElement('li');
          const button = document.createElement('button');
          button.type = 'button';
          button.textContent = `Run ${d.name}`;
          button.dataset.demo = String(d.name);
          const summary = document.createElement('span');
          summary.className = 'hint';
          summary.textContent = ` ${d.summary ?? ''}`;
          li.append(button, summary);
          return li;
        }),
      );
      loaded = true;
      say(demos.length ? 'Choose a demo to run it on the server’s machine.' : 'This server has no demos.');
    } catch (err) {
      say(`! the demos could not be listed (${err.message})`, 'error');
    }
  }

  async function run(name) {
    if (busy) return;
    busy = true;
    stop();
    section.dataset.state = 'running';
    say(`running ${name}…`);
    for (const b of list.querySelectorAll('button')) b.disabled = true;
    try {
      const response = await fetch(`demos/${encodeURIComponent(name)}`, { method: 'POST', headers: { 'x-udp-chat-key': key() ?? '' }, cache: 'no-store' });
      if (!response.ok) {
        const why = { 403: 'only the teacher may run demos (open the teacher’s link, ?teacher=KEY)', 404: 'no such demo', 409: 'another demo is running; try again when it ends' }[response.status];
        const body = (await response.text()).trim();
        throw new Error(`${response.status}: ${why ?? (body || response.statusText)}`);
      }
      const answer = await response.json();
      show(answer);
      section.dataset.state = 'ready';
      say(`${answer.result?.title ?? name}: ${steps.length} steps. Play, pause or step through it.`);
    } catch (err) {
      section.dataset.state = 'error';
      say(`! ${name}: ${err.message}`, 'error');
    } finally {
      busy = false;
      for (const b of list.querySelectorAll('button')) b.disabled = false;
    }
  }

  /** Puts the returned diagram in the page: parsed as SVG, cleaned, every step hidden but the first. */
  function show({ result, svg }) {
    const doc = new DOMParser().parseFromString(String(svg ?? ''), 'image/svg+xml');
    const root = doc.documentElement;
    if (root.namespaceURI !== SVG_NS || root.localName !== 'svg' || doc.querySelector('parsererror')) throw new Error('the server sent a diagram that is not SVG');
    // The contract says it holds no script or style; the page makes sure.
    for (const bad of root.querySelectorAll('script, style, foreignObject, iframe')) bad.remove();
    for (const node of [root, ...root.querySelectorAll('*')]) {
      for (const a of [...node.attributes]) if (/^on/i.test(a.name) || a.name === 'style' || /^\s*javascript:/i.test(a.value)) node.removeAttribute(a.name);
    }
    const node = document.importNode(root, true);
    node.removeAttribute('width');
    node.removeAttribute('height');
    node.classList.add('demo-svg');
    figure.replaceChildren(node);
    steps = [...new Set([...node.querySelectorAll('[data-step]')].map((g) => Number(g.getAttribute('data-step'))))].filter(Number.isFinite).sort((a, b) => a - b);
    explanation.replaceChildren(
      ...(Array.isArray(result?.explanation) ? result.explanation : []).map((line) => {
        const p = document.createElement('p');
        p.textContent = String(line);
        return p;
      }),
    );
    controls.hidden = steps.length === 0;
    section.dataset.steps = String(steps.length);
    reveal(steps.length ? 0 : -1);
  }

  function reveal(i) {
    at = Math.min(i, steps.length - 1);
    const upTo = steps[at] ?? -Infinity;
    for (const g of figure.querySelectorAll('[data-step]')) g.classList.toggle('later', Number(g.getAttribute('data-step')) > upTo);
    section.dataset.step = String(at);
    const where = section.querySelector('.demo-where');
    where.textContent = steps.length ? `step ${at + 1} of ${steps.length}` : '';
    if (at >= steps.length - 1) stop();
  }

  function stop() {
    clearInterval(timer);
    timer = null;
    section.dataset.playing = 'false';
    section.querySelector('[data-demo-action="play"]').setAttribute('aria-pressed', 'false');
  }

  function play() {
    if (!steps.length) return;
    if (at >= steps.length - 1) reveal(0);
    clearInterval(timer);
    timer = setInterval(() => reveal(at + 1), Math.max(MIN_STEP_MS, Math.min(MAX_STEP_MS, PLAY_MS / steps.length)));
    section.dataset.playing = 'true';
    section.querySelector('[data-demo-action="play"]').setAttribute('aria-pressed', 'true');
  }

  section.addEventListener('click', (event) => {
    const run_ = event.target.closest('button[data-demo]');
    if (run_) return void run(run_.dataset.demo);
    const action = event.target.closest('button[data-demo-action]')?.dataset.demoAction;
    if (action === 'play') play();
    else if (action === 'pause') stop();
    else if (action === 'step') {
      stop();
      reveal(at + 1);
    } else if (action === 'restart') {
      stop();
      reveal(0);
    }
  });

  return {
    show(on) {
      if (on) void load();
      else stop();
    },
  };
}
