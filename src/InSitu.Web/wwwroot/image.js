'use strict';
(async () => {
  const { el, clear, get, query, param, pct } = InSitu;
  await InSitu.init('/datasets');
  const m = param('m'), row = Number(param('row'));
  const content = document.getElementById('content');
  const r = await get('/api/datasets/rows?' + query({ m, size: 1, page: row }));
  const models = await get('/api/stage/models');
  const info = r.rows[0];
  const fields = ['path', 'stage', 'range', 'gene', 'view', 'terms', 'bag', 'split', 'label'];
  const table = el('table', { id: 'labels' }, fields.map(f => el('tr', {}, el('th', { class: 'l' }, f),
    el('td', { class: 'l' }, Array.isArray(info[f]) ? info[f].join('; ') : info[f] ?? ''))));
  const model = el('select', { id: 'model' }, models.map(x => el('option', { value: x.id }, x.id)));
  const method = el('select', { id: 'method' }, ['saliency', 'guided', 'gradcam'].map(x => el('option', { value: x }, x)));
  const prediction = el('div', { class: 'bars', id: 'prediction' });
  const overlay = el('img', { class: 'big', id: 'overlay', alt: 'saliency overlay' });
  async function explain() {
    if (!model.value) { clear(prediction, el('p', { class: 'muted' }, 'no trained stage model under the runs folder')); return; }
    const p = await get('/api/stage/predict?' + query({ m, row, model: model.value }));
    clear(prediction, el('p', {}, 'predicted stage ', el('strong', { id: 'predicted' }, p.predicted)),
      p.stages.map((s, i) => el('div', { class: 'bar' }, el('span', {}, String(s).padStart(2, ' ')),
        el('span', { class: 'fill', style: `width:${Math.round(300 * p.probabilities[i])}px` }), pct(p.probabilities[i]))));
    overlay.src = '/api/stage/saliency?' + query({ m, row, model: model.value, method: method.value });
  }
  model.addEventListener('change', () => explain().catch(e => InSitu.show(e.message)));
  method.addEventListener('change', () => explain().catch(e => InSitu.show(e.message)));
  clear(content, el('p', {}, el('a', { href: '/datasets?' + query({ m }) }, '← ' + m), ' · row ' + row),
    el('div', { class: 'row' },
      el('div', {}, el('img', { class: 'big', id: 'picture', alt: info.path, src: '/api/datasets/image?' + query({ m, row }) }),
        el('div', {}, 'model ', model, ' map ', method), overlay),
      el('div', { class: 'side-panel' }, table, prediction)));
  await explain();
})().catch(e => InSitu.show(e.message));
