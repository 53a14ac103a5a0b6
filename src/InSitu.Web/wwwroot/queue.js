'use strict';
// The stage label queue: the model's most uncertain image without a precise stage, one key per candidate stage.
(async () => {
  const { el, clear, get, post, query, param, pct } = InSitu;
  await InSitu.init('/queue');
  const content = document.getElementById('content');
  const [datasets, models] = await Promise.all([get('/api/datasets'), get('/api/stage/models')]);
  if (datasets.length === 0) {
    clear(content, el('p', { class: 'info' }, 'No manifest under the data or runs folder yet: run `make demo` first.'));
    return;
  }
  let m = param('m') || datasets[0].id;
  let view = null;
  const skipKey = () => 'insitu-skip:' + m;
  const skipped = () => JSON.parse(sessionStorage.getItem(skipKey()) || '[]');
  const pickManifest = el('select', { id: 'manifest' }, datasets.map(d => el('option', { value: d.id, selected: d.id === m }, d.id)));
  const pickModel = el('select', { id: 'model' }, models.map(x => el('option', { value: x.id }, x.id)));
  const rank = el('button', { id: 'rank', onclick: () => startRank() }, 'Rank by uncertainty');
  const status = el('div', { id: 'status', class: 'muted' });
  const item = el('div', { id: 'item' });
  const side = el('div', { id: 'side' });
  const jobBox = el('div', { id: 'job' });
  const method = el('select', { id: 'retrain-method' }, ['', 'plain', 'data', 'data+feature'].map(x =>
    el('option', { value: x }, x || 'method of the current model')));
  const settings = el('input', { id: 'retrain-settings', size: 40, placeholder: 'settings JSON, e.g. {"fine": {"epochs": 10}}' });
  const retrain = el('button', { id: 'retrain', onclick: () => startRetrain() }, 'Retrain');
  const learning = el('img', { class: 'curve', id: 'learning', alt: 'quality against the number of labels' });
  clear(content, el('div', { class: 'filters' }, 'manifest ', pickManifest, ' model ', pickModel, rank), status,
    el('div', { class: 'row' }, item, side),
    el('h2', {}, 'Retrain with the new labels'), el('div', {}, method, settings, retrain), jobBox,
    el('h2', {}, 'Quality against the number of precise labels'), learning);

  async function refresh() {
    view = await get('/api/queue?' + query({ m, skip: skipped().join('\n') }));
    // a retraining's new model is not in the list the page loaded with
    if (view.model && ![...pickModel.options].some(o => o.value === view.model)) pickModel.prepend(el('option', { value: view.model }, view.model));
    if (view.model) pickModel.value = view.model;
    clear(status, view.ranked
      ? `${view.waiting} image(s) waiting, ${view.labelled} precisely labelled; ranked with ${view.model} at ${new Date(view.ranked).toLocaleString()}`
      : 'Not ranked yet: choose a model and press "Rank by uncertainty".',
      view.unranked > 0 && view.ranked ? ` (${view.unranked} without a ranking: rank again to include them)` : '');
    status.dataset.waiting = view.waiting;
    status.dataset.labelled = view.labelled;
    renderItem();
    renderSide();
    learning.src = '/api/queue/learning.svg?' + query({ m, v: view.retrainings.length });
  }

  function renderItem() {
    const it = view.item;
    if (!it) {
      clear(item, el('p', { class: 'info' }, view.ranked ? 'Nothing left to label in this ranking.' : ''));
      item.dataset.path = '';
      return;
    }
    item.dataset.path = it.path;
    const buttons = it.candidates.map(c => el('button', {
      class: c.stage === it.suggested ? 'suggested' : null, dataset: { stage: c.stage, key: c.key },
      onclick: () => label(c.stage),
    }, 'stage ' + c.stage, el('kbd', {}, c.key), el('div', { class: 'muted' }, pct(c.p))));
    clear(item,
      el('img', { class: 'big', id: 'current', alt: it.path, src: '/api/datasets/image?' + query({ m, row: it.row }) }),
      el('p', {}, el('strong', {}, it.path), ' · gene ', it.gene || '?', ' · range ', it.rangeName || 'unknown',
        ' · uncertainty ', it.uncertainty.toFixed(3), it.terms && it.terms.length ? ' · ' + it.terms.join('; ') : ''),
      el('div', { class: 'stages' }, buttons),
      el('p', { class: 'muted' }, 'keys: the number or letter under a stage sets it; Enter takes the suggestion (outlined); ',
        'S skips; Z undoes the last label'),
      el('div', {}, el('button', { id: 'skip', onclick: skip }, 'Skip (S)'),
        el('button', { id: 'undo', onclick: undo, disabled: !view.canUndo }, 'Undo (Z)')),
      el('h2', {}, 'Nearest labelled images (model features)'),
      el('div', { class: 'nearest' }, it.nearest.map(n => el('figure', {},
        el('img', { alt: n.path, src: '/api/datasets/image?' + query({ m, row: n.row }) }),
        el('figcaption', {}, 'stage ' + n.stage + ' · cos ' + n.similarity.toFixed(3))))));
  }

  function renderSide() {
    clear(side, el('h2', {}, 'Latest labels'), el('table', { id: 'history' },
      el('tr', {}, el('th', {}, '#'), el('th', { class: 'l' }, 'image'), el('th', {}, 'stage')),
      view.history.map(h => el('tr', {}, el('td', {}, h.seq), el('td', { class: 'l' }, h.path),
        el('td', {}, h.undoes ? `undo of #${h.undoes}` : `${h.before ?? '–'} → ${h.after ?? '–'}`)))));
  }

  async function label(stage) {
    if (!view.item) return;
    try {
      await post('/api/queue/label', { manifest: m, path: view.item.path, stage });
      await refresh();
    } catch (e) { InSitu.show(e.message); }
  }
  async function undo() {
    try {
      await post('/api/queue/undo', { manifest: m });
      await refresh();
    } catch (e) { InSitu.show(e.message); }
  }
  function skip() {
    if (!view.item) return;
    sessionStorage.setItem(skipKey(), JSON.stringify([...skipped(), view.item.path]));
    refresh().catch(e => InSitu.show(e.message));
  }
  async function startRank() {
    if (!pickModel.value) { InSitu.show('no trained stage model under the runs folder: run `make demo` or `insitu stage train`'); return; }
    const r = await post('/api/queue/rank', { manifest: m, model: pickModel.value });
    InSitu.jobPanel(jobBox, r.job, (s) => { if (s.state === 'succeeded') refresh(); });
  }
  async function startRetrain() {
    try {
      const r = await post('/api/queue/retrain', { manifest: m, method: method.value, config: settings.value.trim() });
      InSitu.jobPanel(jobBox, r.job, (s) => { if (s.state === 'succeeded') refresh(); });
    } catch (e) { InSitu.show(e.message); }
  }

  document.addEventListener('keydown', (e) => {
    if (['INPUT', 'SELECT', 'TEXTAREA'].includes(document.activeElement.tagName) || e.altKey || e.metaKey) return;
    if ((e.key === 'z' || e.key === 'Z') ) { e.preventDefault(); undo(); return; }
    if (e.ctrlKey) return;
    if (!view || !view.item) return;
    if (e.key === 'Enter') { e.preventDefault(); label(view.item.suggested); return; }
    if (e.key === 's' || e.key === 'S') { e.preventDefault(); skip(); return; }
    const c = view.item.candidates.find(x => x.key === e.key.toLowerCase());
    if (c) { e.preventDefault(); label(c.stage); }
  });
  pickManifest.addEventListener('change', () => {
    m = pickManifest.value;
    history.replaceState(null, '', '/queue?' + query({ m }));
    refresh().catch(e => InSitu.show(e.message));
  });
  await refresh();
  const jobs = await get('/api/jobs');
  const active = jobs.find(j => ['queued', 'running'].includes(j.state) && j.parameters.manifest === m);
  if (active) InSitu.jobPanel(jobBox, active.id, (s) => { if (s.state === 'succeeded') refresh(); });
})().catch(e => InSitu.show(e.message));
