'use strict';
(async () => {
  const { el, clear, get } = InSitu;
  await InSitu.init('/jobs');
  const content = document.getElementById('content');
  const detail = el('div', { id: 'detail' });
  const jobs = await get('/api/jobs');
  clear(content, jobs.length === 0 ? el('p', { class: 'muted' }, 'No jobs yet.') :
    el('table', { id: 'jobs' }, el('tr', {}, ['job', 'kind', 'state', 'created', 'error'].map(h => el('th', { class: 'l' }, h))),
      jobs.map(j => el('tr', {},
        el('td', { class: 'l' }, el('a', { href: '#' + j.id, onclick: () => InSitu.jobPanel(detail, j.id) }, j.title)),
        el('td', { class: 'l' }, j.kind), el('td', { class: 'l' }, j.state), el('td', { class: 'l' }, new Date(j.created).toLocaleString()),
        el('td', { class: 'l' }, j.error || '')))), detail);
  if (location.hash.length > 1) InSitu.jobPanel(detail, location.hash.slice(1));
})().catch(e => InSitu.show(e.message));
