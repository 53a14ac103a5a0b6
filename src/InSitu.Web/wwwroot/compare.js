'use strict';
(async () => {
  const { el, clear, get, pct, query } = InSitu;
  await InSitu.init('/runs');
  const ids = InSitu.param('ids') || '';
  const c = await get('/api/runs/compare?' + query({ ids }));
  const f = c.figures;
  const content = document.getElementById('content');
  const pm = (x) => pct(x.mean) + (x.std ? ' ± ' + (100 * x.std).toFixed(1) : '');
  clear(content,
    el('h2', {}, 'Summary (test split)'),
    el('table', { id: 'summary' },
      el('tr', {}, ['run', 'method', 'mean per-stage', 'overall', 'within ±1 stage', 'errors inside the true range', 'nearest reference']
        .map(h => el('th', { class: 'l' }, h))),
      f.map(x => el('tr', {}, el('td', { class: 'l' }, x.run), el('td', { class: 'l' }, x.method), el('td', {}, pm(x)),
        el('td', {}, pct(x.overall)), el('td', {}, pct(x.withinOne)), el('td', {}, pct(x.errorsInsideRange)),
        el('td', {}, x.nearestReference === null ? '' : pct(x.nearestReference))))),
    el('h2', {}, 'Accuracy per stage'),
    el('table', { id: 'per-stage' },
      el('tr', {}, el('th', {}, 'stage'), f.map(x => el('th', {}, x.run + ': ' + x.method))),
      c.stages.map((s, i) => el('tr', {}, el('td', {}, s), f.map(x => el('td', {}, pct(x.perStage[i])))))),
    el('img', { class: 'curve', id: 'stages-chart', alt: 'accuracy per stage', src: '/api/runs/compare/stages.svg?' + query({ ids }) }),
    el('h2', {}, 'Training curves'),
    el('img', { class: 'curve', id: 'curves-chart', alt: 'training curves', src: '/api/runs/compare/curves.svg?' + query({ ids }) }));
})().catch(e => InSitu.show(e.message));
