'use strict';
(async () => {
  const { el, clear, get, query, param } = InSitu;
  await InSitu.init('/datasets');
  const content = document.getElementById('content');
  const datasets = await get('/api/datasets');
  if (datasets.length === 0) {
    clear(content, el('p', { class: 'info' }, 'No manifests under the data or runs folder yet (`make demo` writes runs/demo/data/manifest.csv).'));
    return;
  }
  const state = {
    m: param('m') || datasets[0].id, stage: param('stage'), range: param('range'), gene: param('gene'), term: param('term'),
    split: param('split'), labels: param('labels'), page: Number(param('page') || 0),
  };
  const pick = el('select', { id: 'manifest' }, datasets.map(d => el('option', { value: d.id, selected: d.id === state.m }, d.id)));
  const input = (name, placeholder, width) => el('input', { id: 'f-' + name, placeholder, value: state[name] || '', size: width || 8 });
  const labels = el('select', { id: 'f-labels' }, [['', 'any labels'], ['precise', 'precise stage'], ['range', 'range only'],
    ['none', 'no stage or range']].map(([v, t]) => el('option', { value: v, selected: v === (state.labels || '') }, t)));
  const split = el('select', { id: 'f-split' }, el('option', { value: '' }, 'any split'));
  const fields = { stage: input('stage', 'stage', 4), range: input('range', 'range 1-6', 6), gene: input('gene', 'gene'),
    term: input('term', 'term', 14) };
  const gallery = el('div', { class: 'gallery', id: 'gallery' });
  const pager = el('div', { class: 'muted', id: 'pager' });
  const apply = (page) => {
    state.m = pick.value;
    for (const [k, node] of Object.entries(fields)) state[k] = node.value.trim();
    state.labels = labels.value;
    state.split = split.value;
    state.page = page;
    history.replaceState(null, '', '/datasets?' + query(state));
    load();
  };
  const form = el('form', { class: 'filters', onsubmit: (e) => { e.preventDefault(); apply(0); } }, pick, Object.values(fields), split, labels,
    el('button', { type: 'submit', id: 'apply' }, 'Filter'));
  clear(content, form, pager, gallery);
  async function load() {
    const r = await get('/api/datasets/rows?' + query({ ...state, size: 48 }));
    if (split.options.length === 1) for (const s of r.splits) split.append(el('option', { value: s, selected: s === state.split }, s));
    const pages = Math.max(1, Math.ceil(r.total / r.size));
    clear(pager, `${r.total} of ${r.all} images; page ${r.page + 1} of ${pages} `,
      el('button', { disabled: r.page === 0, onclick: () => apply(r.page - 1) }, '◀'),
      el('button', { disabled: r.page + 1 >= pages, onclick: () => apply(r.page + 1) }, '▶'));
    clear(gallery, r.rows.map(row => el('a', { href: '/image?' + query({ m: state.m, row: row.row }), class: 'item' },
      el('img', { loading: 'lazy', alt: row.path, src: '/api/datasets/image?' + query({ m: state.m, row: row.row, size: 320 }) }),
      el('div', {}, row.stage ? 'stage ' + row.stage : row.range ? 'range ' + ['1-3', '4-6', '7-8', '9-10', '11-12', '13-17'][row.range - 1] : 'no stage',
        row.gene ? ' · ' + row.gene : '', row.split ? ' · ' + row.split : ''))));
  }
  pick.addEventListener('change', () => apply(0));
  await load();
})().catch(e => InSitu.show(e.message));
