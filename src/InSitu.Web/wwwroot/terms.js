'use strict';
// Term review: the bags of a manifest with the terms `bags predict` gave them; accept them, or tick and type the right
// ones and save the correction. Reviews are written to the manifest's terms column (what `bags train` learns from).
(async () => {
  const { el, clear, get, post, query, param, pct } = InSitu;
  await InSitu.init('/terms');
  const content = document.getElementById('content');
  const sources = await get('/api/terms/sources');
  if (sources.manifests.length === 0) {
    clear(content, el('p', { class: 'info' }, 'No manifest yet: put a bag manifest (a bag column, or gene and range) in the data folder.'));
    return;
  }
  let m = param('m') && sources.manifests.includes(param('m')) ? param('m') : sources.manifests[0];
  let p = param('p') !== null ? param('p') : (sources.predictions[0] || '');
  let show = param('show') || 'all';
  let offset = 0;
  const pickManifest = el('select', { id: 'manifest' }, sources.manifests.map(x => el('option', { value: x, selected: x === m }, x)));
  const pickPrediction = el('select', { id: 'predictions' }, el('option', { value: '' }, 'no predictions'),
    sources.predictions.map(x => el('option', { value: x, selected: x === p }, x)));
  const pickShow = el('select', { id: 'show' }, ['all', 'unreviewed', 'reviewed'].map(x => el('option', { value: x, selected: x === show }, x)));
  const status = el('div', { id: 'status', class: 'muted' });
  const list = el('div', { id: 'bags' });
  const pager = el('div', { class: 'filters' });
  const undo = el('button', { id: 'undo', onclick: () => act(() => post('/api/terms/undo', { manifest: m })) }, 'Undo last review');
  const history = el('table', { id: 'history' });
  clear(content, el('div', { class: 'filters' }, 'manifest ', pickManifest, ' predictions ', pickPrediction, ' show ', pickShow), status,
    list, pager, el('h2', {}, 'Reviews'), undo, history);
  for (const [pick, set] of [[pickManifest, v => { m = v; }], [pickPrediction, v => { p = v; }], [pickShow, v => { show = v; }]])
    pick.addEventListener('change', () => { set(pick.value); offset = 0; refresh().catch(e => InSitu.show(e.message)); });

  async function act(call) {
    try { await call(); await refresh(); InSitu.show(''); } catch (e) { InSitu.show(e.message); }
  }

  function card(b) {
    const predicted = b.predicted || [];
    const current = new Set(b.review ? b.review.after : b.terms);
    const known = new Set(predicted.map(t => t.term));
    // ticked: the reviewed terms once reviewed, else the model's decision
    const ticks = predicted.map(t => el('label', { class: 'term' + (t.decided ? ' decided' : '') },
      el('input', { type: 'checkbox', value: t.term, checked: b.review ? current.has(t.term) : t.decided }),
      ' ' + t.term + ' ', el('span', { class: 'muted' }, pct(t.probability))));
    const extra = el('input', { class: 'extra', size: 40, placeholder: 'other terms, ;-separated',
      value: [...current].filter(t => !known.has(t)).join(';') });
    const chosen = () => [...ticks.map(t => t.querySelector('input')).filter(i => i.checked).map(i => i.value),
      ...extra.value.split(';').map(t => t.trim()).filter(t => t)];
    const accept = el('button', { class: 'accept', disabled: predicted.length === 0,
      onclick: () => act(() => post('/api/terms/review', { manifest: m, bag: b.bag, action: 'accept',
        terms: predicted.filter(t => t.decided).map(t => t.term) })) }, 'Accept predicted');
    const correct = el('button', { class: 'correct',
      onclick: () => act(() => post('/api/terms/review', { manifest: m, bag: b.bag, action: 'correct', terms: chosen() })) }, 'Save correction');
    const thumbs = b.rows.map(r => el('img', { src: '/api/datasets/image?' + query({ m, row: r, size: 160 }), alt: b.bag, loading: 'lazy' }));
    return el('div', { class: 'bag' + (b.review ? ' reviewed' : ''), dataset: { bag: b.bag, review: b.review ? b.review.action : '' } },
      el('div', {}, el('strong', {}, b.bag), ` ${b.gene || ''} ${b.rangeName ? 'stages ' + b.rangeName : ''}, ${b.images} image(s)`,
        b.review ? el('span', { class: 'badge' }, b.review.action === 'accept' ? ' accepted' : ' corrected') : null),
      el('div', { class: 'nearest' }, thumbs),
      el('div', { class: 'muted' }, 'terms in the manifest: ' + (b.terms.length ? b.terms.join('; ') : 'none')),
      predicted.length ? el('div', { class: 'terms' }, ticks) : el('div', { class: 'muted' }, 'no prediction for this bag'),
      el('div', {}, extra, ' ', accept, correct));
  }

  async function refresh() {
    const v = await get('/api/terms?' + query({ m, p, show, offset, limit: 20 }));
    clear(status, `${v.bags} bag(s), ${v.reviewedBags} reviewed, ${v.predictedBags} with predictions; showing ${v.matching}`);
    status.dataset.reviewed = v.reviewedBags;
    clear(list, v.items.map(card));
    clear(pager, offset > 0 ? el('button', { onclick: () => { offset = Math.max(0, offset - 20); refresh(); } }, 'Previous') : null,
      offset + 20 < v.matching ? el('button', { onclick: () => { offset += 20; refresh(); } }, 'Next') : null);
    undo.disabled = !v.canUndo;
    clear(history, el('tr', {}, ['#', 'time', 'bag', 'review', 'before', 'after'].map(h => el('th', { class: 'l' }, h))),
      v.history.map(h => el('tr', {}, el('td', {}, h.seq), el('td', { class: 'l' }, new Date(h.time).toLocaleTimeString()),
        el('td', { class: 'l' }, h.bag), el('td', { class: 'l' }, h.undoes ? 'undo of #' + h.undoes : h.action),
        el('td', { class: 'l' }, h.before.join('; ')), el('td', { class: 'l' }, h.after.join('; ')))));
    history.dataset.count = v.history.length;
    window.history.replaceState(null, '', '/terms?' + query({ m, p, show }));
  }
  await refresh();
})().catch(e => InSitu.show(e.message));
