'use strict';
(async () => {
  const { el, clear, get } = InSitu;
  const s = await InSitu.init('/');
  const [runs, datasets, jobs] = await Promise.all([get('/api/runs'), get('/api/datasets'), get('/api/jobs')]);
  const card = (href, title, text) => el('li', {}, el('a', { href }, title), ': ', text);
  clear(document.getElementById('content'),
    el('p', {}, 'Data folder: ', el('code', {}, s.data), '; runs folder: ', el('code', {}, s.runs)),
    el('ul', {},
      card('/runs', 'Runs', `${runs.length} run director${runs.length === 1 ? 'y' : 'ies'}: open reports, compare side by side`),
      card('/datasets', 'Datasets', `${datasets.length} manifest(s): filter, open an image, its prediction and saliency`),
      card('/queue', 'Stage label queue', 'label the images the model is least sure of, one key per stage; retrain'),
      card('/annotate', 'Annotate', 'paint segmentation labels (brush, eraser, zoom, undo) saved as label PNGs'),
      card('/jobs', 'Jobs', `${jobs.filter(j => j.state === 'running' || j.state === 'queued').length} running or queued`)));
})().catch(e => InSitu.show(e.message));
