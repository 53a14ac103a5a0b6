'use strict';
// Shared by every page: the session (anti-forgery token), JSON calls, a small DOM builder, the header, job watching.
const InSitu = (() => {
  let session = null;

  async function init(active) {
    header(active);
    const r = await fetch('/api/session', { credentials: 'same-origin' });
    session = await r.json();
    return session;
  }

  async function check(r) {
    if (r.ok) return r;
    let message = r.status + ' ' + r.statusText;
    try { message = (await r.json()).error || message; } catch (e) { /* not JSON */ }
    const error = new Error(message);
    error.status = r.status;
    throw error;
  }

  async function get(path) {
    return (await check(await fetch(path, { credentials: 'same-origin' }))).json();
  }

  async function post(path, body, raw) {
    const headers = { [session.header]: session.csrf };
    if (!raw) headers['Content-Type'] = 'application/json';
    const r = await fetch(path, {
      method: 'POST', credentials: 'same-origin', headers, body: raw ? body : JSON.stringify(body || {}),
    });
    return (await check(r)).json();
  }

  // el('div', {class: 'x', onclick: f}, 'text', child): text is always text, never HTML
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
      else if (k === 'class') node.className = v;
      else if (k === 'dataset') Object.assign(node.dataset, v);
      else node.setAttribute(k, v === true ? '' : v);
    }
    for (const c of children.flat()) {
      if (c === null || c === undefined || c === false) continue;
      node.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return node;
  }

  function clear(node, ...children) { node.replaceChildren(...children.flat().filter(c => c !== null && c !== undefined)); return node; }

  function header(active) {
    const pages = [['/', 'Home'], ['/runs', 'Runs'], ['/datasets', 'Datasets'], ['/queue', 'Stage queue'],
      ['/annotate', 'Annotate'], ['/terms', 'Term review'], ['/jobs', 'Jobs']];
    const nav = el('nav', { class: 'top' }, el('strong', {}, 'InSitu'),
      pages.map(([href, text]) => el('a', { href, class: href === active ? 'active' : null }, text)));
    document.body.prepend(nav);
  }

  function param(name) { return new URLSearchParams(location.search).get(name); }

  function query(params) {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) if (v !== null && v !== undefined && v !== '') q.set(k, v);
    return q.toString();
  }

  function pct(v) { return typeof v !== 'number' || Number.isNaN(v) ? '' : (100 * v).toFixed(1) + '%'; }

  // Shows an error in the page's #message box (and returns it for tests to read)
  function show(message, kind) {
    const box = document.getElementById('message');
    if (!box) return;
    clear(box, message ? el('div', { class: kind || 'error' }, message) : null);
  }

  // Live job events (server-sent): handlers.state / progress / curve / log; closes itself when the job has finished
  function watchJob(id, handlers) {
    const source = new EventSource('/api/jobs/' + encodeURIComponent(id) + '/events');
    const on = (type) => source.addEventListener(type, (e) => {
      const data = JSON.parse(e.data);
      if (handlers[type]) handlers[type](data);
      if (type === 'state' && ['succeeded', 'failed', 'cancelled'].includes(data.state)) source.close();
    });
    ['state', 'progress', 'curve', 'log'].forEach(on);
    return source;
  }

  // A job panel: state line, progress bar, live curve chart, cancel/resume buttons, log
  function jobPanel(container, id, onFinished) {
    const stateLine = el('div', { class: 'job-state' });
    const bar = el('progress', { max: 1, value: 0 });
    const progressText = el('span', { class: 'muted' });
    const curve = el('img', { class: 'curve', alt: 'training curve', dataset: { points: '0' } });
    const log = el('pre', { class: 'log' });
    const cancel = el('button', { onclick: () => post('/api/jobs/' + id + '/cancel').catch(e => show(e.message)) }, 'Stop');
    const resume = el('button', { onclick: () => post('/api/jobs/' + id + '/resume').then(() => jobPanel(container, id, onFinished))
      .catch(e => show(e.message)) }, 'Resume');
    clear(container, el('div', { class: 'job', id: 'job-' + id }, stateLine, el('div', {}, bar, ' ', progressText, ' ', cancel, resume),
      curve, log));
    const refreshCurve = (n) => {
      curve.dataset.points = String(n);
      curve.src = '/api/jobs/' + id + '/curve.svg?v=' + n;
    };
    watchJob(id, {
      state: (s) => {
        // a job that trains has a curve; ranking and prediction jobs do not
        curve.hidden = !(s.kind.endsWith('train') || s.curvePoints > 0);
        stateLine.textContent = s.title + ': ' + s.state + (s.error ? ' (' + s.error + ')' : '');
        stateLine.dataset.state = s.state;
        cancel.hidden = !['queued', 'running'].includes(s.state);
        resume.hidden = !['failed', 'cancelled'].includes(s.state);
        if (s.curvePoints !== undefined && s.curvePoints !== Number(curve.dataset.points)) refreshCurve(s.curvePoints);
        if (!curve.src) refreshCurve(s.curvePoints || 0);
        if (['succeeded', 'failed', 'cancelled'].includes(s.state) && onFinished) onFinished(s);
      },
      progress: (p) => {
        bar.max = Math.max(1, p.steps);
        bar.value = p.step;
        progressText.textContent = p.phase + (p.epochs ? ' epoch ' + p.epoch + '/' + p.epochs : '') + ' ' + p.step + '/' + p.steps +
          (p.loss !== null && p.loss !== undefined ? ' loss ' + p.loss.toFixed(3) : '');
      },
      curve: (c) => refreshCurve(c.points),
      log: (l) => { log.textContent += l.text + '\n'; },
    });
  }

  return { init, get, post, el, clear, param, query, pct, show, watchJob, jobPanel, get session() { return session; } };
})();
