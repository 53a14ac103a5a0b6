'use strict';
(async () => {
  const { el, clear, get, pct } = InSitu;
  await InSitu.init('/runs');
  const runs = await get('/api/runs');
  const content = document.getElementById('content');
  if (runs.length === 0) {
    clear(content, el('p', { class: 'info' }, 'No run directories yet: `make demo` writes runs/demo, `insitu stage train` writes one too.'));
    return;
  }
  const best = (r) => r.figures.length ? r.figures.map(f => `${f.method} ${pct(f.mean)}`).join(', ') : '';
  const rows = runs.map(r => el('tr', {},
    el('td', { class: 'l' }, el('input', { type: 'checkbox', value: r.id, class: 'pick' })),
    el('td', { class: 'l' }, r.name), el('td', { class: 'l' }, r.kind),
    el('td', { class: 'l' }, new Date(r.modified).toLocaleString()),
    el('td', { class: 'l' }, best(r)),
    el('td', { class: 'l' }, r.report ? el('a', { href: '/files/' + r.report, target: '_blank', class: 'report' }, 'report.html') : '')));
  const compare = el('button', { id: 'compare', onclick: () => {
    const ids = [...document.querySelectorAll('input.pick:checked')].map(c => c.value);
    if (ids.length === 0) { InSitu.show('tick one or more runs to compare'); return; }
    location.href = '/compare?' + InSitu.query({ ids: ids.join(',') });
  } }, 'Compare selected');
  clear(content, el('table', { id: 'runs' }, el('tr', {}, ['', 'run', 'kind', 'modified', 'mean per-stage accuracy', ''].map(h => el('th', { class: 'l' }, h))),
    rows), compare);
})().catch(e => InSitu.show(e.message));
