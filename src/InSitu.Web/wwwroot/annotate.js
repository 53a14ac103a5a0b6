'use strict';
// Segmentation annotator: tiled image display, a label layer painted with a brush per class or erased back to
// "not annotated" (255), zoom and pan, undo/redo, overlays with an opacity slider; labels saved as 8-bit label PNGs.
const annotator = (() => {
  const { el, clear, get, post, query, param } = InSitu;
  const UNLABELLED = 255;
  const PALETTE = [[31, 119, 180], [214, 39, 40], [44, 160, 44], [255, 127, 14], [148, 103, 189], [140, 86, 75], [227, 119, 194],
    [23, 190, 207], [188, 189, 34], [127, 127, 127]];
  const colour = (k) => PALETTE[k % PALETTE.length];
  const $ = (id) => document.getElementById(id);
  const canvas = $('view');
  const ctx = canvas.getContext('2d');
  const s = {
    project: null, projects: [], images: [], image: null, info: null, labels: null, layer: null, layerCtx: null,
    scale: 1, ox: 0, oy: 0, tool: 'brush', cls: 1, size: 12, opacity: 0.55, undo: [], redo: [], dirty: false,
    tiles: new Map(), prediction: null, uncertainty: null, patch: null, cursor: null, saved: 0,
  };
  let stroke = null, pan = null, spaceDown = false;

  // --- coordinates
  const toImage = (cx, cy) => [s.ox + cx / s.scale, s.oy + cy / s.scale];
  const toScreen = (ix, iy) => [(ix - s.ox) * s.scale, (iy - s.oy) * s.scale];
  function fit() {
    if (!s.info) return;
    s.scale = Math.min(canvas.width / s.info.width, canvas.height / s.info.height);
    s.ox = -(canvas.width / s.scale - s.info.width) / 2;
    s.oy = -(canvas.height / s.scale - s.info.height) / 2;
    draw();
  }
  function zoomAt(cx, cy, factor) {
    const [ix, iy] = toImage(cx, cy);
    s.scale = Math.min(64, Math.max(0.01, s.scale * factor));
    s.ox = ix - cx / s.scale;
    s.oy = iy - cy / s.scale;
    draw();
  }

  // --- drawing
  function level() {
    const maxLevel = Math.max(0, Math.ceil(Math.log2(Math.max(s.info.width, s.info.height) / s.info.tileSize)));
    return Math.max(0, Math.min(maxLevel, Math.floor(Math.log2(1 / s.scale))));
  }
  function tile(l, tx, ty) {
    const key = `${s.image}|${l}|${tx}|${ty}`;
    let t = s.tiles.get(key);
    if (!t) {
      t = new Image();
      t.onload = () => draw();
      t.src = '/api/seg/tile?' + query({ p: s.project, image: s.image, level: l, x: tx, y: ty });
      s.tiles.set(key, t);
      if (s.tiles.size > 600) s.tiles.delete(s.tiles.keys().next().value);
    }
    return t.complete && t.naturalWidth > 0 ? t : null;
  }
  function draw() {
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.fillStyle = '#333';
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    if (!s.info) return;
    const l = level(), f = 1 << l, span = s.info.tileSize * f;
    const [x0, y0] = toImage(0, 0), [x1, y1] = toImage(canvas.width, canvas.height);
    ctx.imageSmoothingEnabled = s.scale < 1;
    for (let ty = Math.max(0, Math.floor(y0 / span)); ty * span < Math.min(y1, s.info.height); ty++)
      for (let tx = Math.max(0, Math.floor(x0 / span)); tx * span < Math.min(x1, s.info.width); tx++) {
        const t = tile(l, tx, ty);
        if (!t) continue;
        const [sx, sy] = toScreen(tx * span, ty * span);
        ctx.drawImage(t, sx, sy, t.naturalWidth * f * s.scale, t.naturalHeight * f * s.scale);
      }
    ctx.imageSmoothingEnabled = false;
    const [ix, iy] = toScreen(0, 0);
    const w = s.info.width * s.scale, h = s.info.height * s.scale;
    ctx.globalAlpha = s.opacity;
    if ($('show-prediction').checked && s.prediction) ctx.drawImage(s.prediction, ix, iy, w, h);
    if ($('show-uncertainty').checked && s.uncertainty) ctx.drawImage(s.uncertainty, ix, iy, w, h);
    ctx.drawImage(s.layer, ix, iy, w, h);
    ctx.globalAlpha = 1;
    if (s.patch && s.patch.image === s.image) {
      const [px, py] = toScreen(s.patch.x, s.patch.y);
      ctx.strokeStyle = '#ff0';
      ctx.lineWidth = 2;
      ctx.strokeRect(px, py, s.patch.width * s.scale, s.patch.height * s.scale);
    }
    if (s.cursor) {
      ctx.strokeStyle = s.tool === 'eraser' ? '#fff' : `rgb(${colour(s.cls).join(',')})`;
      ctx.lineWidth = 1;
      ctx.beginPath();
      ctx.arc(s.cursor[0], s.cursor[1], Math.max(1, s.size * s.scale / 2), 0, 2 * Math.PI);
      ctx.stroke();
    }
  }
  // repaints the label layer's pixels inside a rectangle from the label values
  function paintLayer(x0, y0, w, h) {
    if (w <= 0 || h <= 0) return;
    const img = s.layerCtx.createImageData(w, h);
    const W = s.info.width;
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) {
        const v = s.labels[(y0 + y) * W + x0 + x], o = (y * w + x) * 4;
        if (v === UNLABELLED) { img.data[o + 3] = 0; continue; }
        const c = colour(v);
        img.data[o] = c[0]; img.data[o + 1] = c[1]; img.data[o + 2] = c[2]; img.data[o + 3] = 255;
      }
    s.layerCtx.putImageData(img, x0, y0);
  }

  // --- painting
  function stamp(cx, cy, value, box) {
    const r = s.size / 2, W = s.info.width, H = s.info.height;
    const xa = Math.max(0, Math.floor(cx - r)), xb = Math.min(W - 1, Math.ceil(cx + r));
    const ya = Math.max(0, Math.floor(cy - r)), yb = Math.min(H - 1, Math.ceil(cy + r));
    for (let y = ya; y <= yb; y++)
      for (let x = xa; x <= xb; x++) {
        const dx = x + 0.5 - cx, dy = y + 0.5 - cy;
        if (dx * dx + dy * dy <= r * r) s.labels[y * W + x] = value;
      }
    if (xa <= xb && ya <= yb) {
      box[0] = Math.min(box[0], xa); box[1] = Math.min(box[1], ya); box[2] = Math.max(box[2], xb + 1); box[3] = Math.max(box[3], yb + 1);
      paintLayer(xa, ya, xb - xa + 1, yb - ya + 1);
    }
  }
  function strokeTo(ix, iy) {
    const value = s.tool === 'eraser' ? UNLABELLED : s.cls;
    const [px, py] = stroke.last;
    const steps = Math.max(1, Math.ceil(Math.hypot(ix - px, iy - py) / Math.max(0.5, s.size / 4)));
    for (let k = 1; k <= steps; k++) stamp(px + (ix - px) * k / steps, py + (iy - py) * k / steps, value, stroke.box);
    stroke.last = [ix, iy];
  }
  function region(array, box) {
    const [x0, y0, x1, y1] = box, w = x1 - x0, out = new Uint8Array(w * (y1 - y0));
    for (let y = y0; y < y1; y++) out.set(array.subarray(y * s.info.width + x0, y * s.info.width + x1), (y - y0) * w);
    return out;
  }
  function putRegion(box, values) {
    const [x0, y0, x1, y1] = box, w = x1 - x0;
    for (let y = y0; y < y1; y++) s.labels.set(values.subarray((y - y0) * w, (y - y0 + 1) * w), y * s.info.width + x0);
    paintLayer(x0, y0, w, y1 - y0);
  }
  function endStroke() {
    if (!stroke) return;
    const box = stroke.box;
    if (box[2] > box[0]) {
      s.undo.push({ box, before: region(stroke.before, box), after: region(s.labels, box) });
      if (s.undo.length > 200) s.undo.shift();
      s.redo = [];
      markDirty(true);
    }
    stroke = null;
    draw();
  }
  function undoRedo(from, to, field) {
    const step = from.pop();
    if (!step) return;
    putRegion(step.box, step[field]);
    to.push(step);
    markDirty(true);
    draw();
  }
  function markDirty(dirty) {
    s.dirty = dirty;
    $('save-state').textContent = dirty ? 'unsaved changes' : 'saved';
    $('save-state').dataset.state = dirty ? 'dirty' : 'saved';
  }

  // --- files
  async function save() {
    if (!s.info) return null;
    const gz = await new Response(new Blob([s.labels]).stream().pipeThrough(new CompressionStream('gzip'))).arrayBuffer();
    const r = await post('/api/seg/labels?' + query({ p: s.project, image: s.image }), gz, true);
    s.saved++;
    markDirty(false);
    const link = document.querySelector(`#images a[data-name="${CSS.escape(s.image)}"]`);
    if (link) link.classList.add('labelled');
    return r;
  }
  async function openImage(name) {
    if (s.dirty) await save(); // switching images never loses labels
    s.image = name;
    s.info = await get('/api/seg/info?' + query({ p: s.project, image: name }));
    const r = await fetch('/api/seg/labels?' + query({ p: s.project, image: name }), { credentials: 'same-origin' });
    if (!r.ok) throw new Error((await r.json()).error);
    s.labels = new Uint8Array(await r.arrayBuffer());
    s.layer = document.createElement('canvas');
    s.layer.width = s.info.width;
    s.layer.height = s.info.height;
    s.layerCtx = s.layer.getContext('2d');
    paintLayer(0, 0, s.info.width, s.info.height);
    s.undo = []; s.redo = []; s.prediction = null; s.uncertainty = null;
    markDirty(false);
    document.querySelectorAll('#images a').forEach(a => a.classList.toggle('current', a.dataset.name === name));
    document.querySelector('#images a.current')?.scrollIntoView({ block: 'nearest' });
    renderClasses();
    renderWorkflow();
    history.replaceState(null, '', '/annotate?' + query({ p: s.project, image: name }));
    fit();
  }
  function renderClasses() {
    const classes = s.info ? s.info.classes : [];
    if (s.cls >= classes.length) s.cls = classes.length - 1;
    clear($('classes'), classes.map((c, k) => el('button', {
      class: s.tool === 'brush' && s.cls === k ? 'on' : null, dataset: { cls: k }, title: `class ${k} (${k + 1})`,
      onclick: () => { s.tool = 'brush'; s.cls = k; renderClasses(); },
    }, el('span', { class: 'swatch', style: `background:rgb(${colour(k).join(',')})` }), c)));
    $('eraser').classList.toggle('on', s.tool === 'eraser');
  }
  function renderWorkflow() {
    const wired = s.info && s.info.workflow;
    for (const id of ['train', 'train-settings', 'next-patch', 'show-prediction', 'show-uncertainty']) $(id).disabled = !wired;
    $('workflow-note').textContent = wired ? (s.info.model ? 'model: ' + s.info.model : 'no model yet: paint some labels and Train')
      : 'Train, Next patch and the prediction overlays wait for the segmentation workflow to be wired into this server.';
  }
  async function openProject(id) {
    s.project = id;
    s.images = await get('/api/seg/images?' + query({ p: id }));
    clear($('images'), s.images.map(im => el('a', { dataset: { name: im.name }, class: im.labelled ? 'labelled' : null,
      onclick: () => openImage(im.name).catch(e => InSitu.show(e.message)) }, im.name)));
    $('project-note').textContent = `${s.images.length} image(s); labels in ${s.projects.find(p => p.id === id)?.labels || 'labels/'}`;
    const first = param('image') && s.images.some(i => i.name === param('image')) ? param('image') : s.images[0]?.name;
    if (first) await openImage(first);
  }
  async function prediction() {
    const r = await fetch('/api/seg/prediction?' + query({ p: s.project, image: s.image }), { credentials: 'same-origin' });
    if (!r.ok) throw new Error((await r.json()).error);
    const bytes = new Uint8Array(await r.arrayBuffer()), n = s.info.width * s.info.height;
    const make = (f) => {
      const c = document.createElement('canvas');
      c.width = s.info.width; c.height = s.info.height;
      const img = c.getContext('2d').createImageData(c.width, c.height);
      for (let i = 0; i < n; i++) { const [r0, g0, b0, a0] = f(i); img.data.set([r0, g0, b0, a0], i * 4); }
      c.getContext('2d').putImageData(img, 0, 0);
      return c;
    };
    s.prediction = make(i => [...colour(bytes[i]), 255]);
    s.uncertainty = make(i => [255, 255 - bytes[n + i], 0, bytes[n + i]]);
    draw();
  }

  // --- events
  canvas.addEventListener('contextmenu', (e) => e.preventDefault());
  canvas.addEventListener('pointerdown', (e) => {
    if (!s.info) return;
    canvas.setPointerCapture(e.pointerId);
    if (e.button === 1 || e.button === 2 || spaceDown) { pan = { x: e.offsetX, y: e.offsetY, ox: s.ox, oy: s.oy }; return; }
    if (e.button !== 0) return;
    const [ix, iy] = toImage(e.offsetX, e.offsetY);
    stroke = { last: [ix, iy], box: [Infinity, Infinity, -Infinity, -Infinity], before: s.labels.slice() };
    strokeTo(ix, iy);
    draw();
  });
  canvas.addEventListener('pointermove', (e) => {
    s.cursor = [e.offsetX, e.offsetY];
    if (pan) {
      s.ox = pan.ox - (e.offsetX - pan.x) / s.scale;
      s.oy = pan.oy - (e.offsetY - pan.y) / s.scale;
    } else if (stroke) strokeTo(...toImage(e.offsetX, e.offsetY));
    draw();
  });
  canvas.addEventListener('pointerup', () => { pan = null; endStroke(); });
  canvas.addEventListener('pointerleave', () => { s.cursor = null; draw(); });
  canvas.addEventListener('wheel', (e) => { e.preventDefault(); zoomAt(e.offsetX, e.offsetY, e.deltaY < 0 ? 1.25 : 0.8); }, { passive: false });
  document.addEventListener('keydown', (e) => {
    if (document.activeElement.tagName === 'INPUT' && document.activeElement.type !== 'range') return;
    const k = e.key.toLowerCase();
    if (k === ' ') { spaceDown = true; e.preventDefault(); return; }
    if (e.ctrlKey && k === 'z') { e.preventDefault(); e.shiftKey ? undoRedo(s.redo, s.undo, 'after') : undoRedo(s.undo, s.redo, 'before'); return; }
    if (e.ctrlKey && k === 'y') { e.preventDefault(); undoRedo(s.redo, s.undo, 'after'); return; }
    if (e.ctrlKey && k === 's') { e.preventDefault(); save().catch(x => InSitu.show(x.message)); return; }
    if (e.ctrlKey || e.altKey) return;
    if (k === 'e') { s.tool = 'eraser'; renderClasses(); }
    else if (k === 'f') fit();
    else if (k === '[' || k === ']') setSize(s.size + (k === ']' ? Math.max(1, s.size / 5) : -Math.max(1, s.size / 5)));
    else if (/^[1-9]$/.test(k) && s.info && Number(k) - 1 < s.info.classes.length) { s.tool = 'brush'; s.cls = Number(k) - 1; renderClasses(); }
  });
  document.addEventListener('keyup', (e) => { if (e.key === ' ') spaceDown = false; });
  function setSize(v) {
    s.size = Math.max(1, Math.min(200, Math.round(v)));
    $('size').value = s.size;
    $('size-text').textContent = s.size + ' px';
    draw();
  }
  $('size').addEventListener('input', (e) => setSize(Number(e.target.value)));
  $('opacity').addEventListener('input', (e) => { s.opacity = Number(e.target.value) / 100; draw(); });
  $('eraser').addEventListener('click', () => { s.tool = 'eraser'; renderClasses(); });
  $('undo').addEventListener('click', () => undoRedo(s.undo, s.redo, 'before'));
  $('redo').addEventListener('click', () => undoRedo(s.redo, s.undo, 'after'));
  $('fit').addEventListener('click', fit);
  $('zoom-in').addEventListener('click', () => zoomAt(canvas.width / 2, canvas.height / 2, 1.5));
  $('zoom-out').addEventListener('click', () => zoomAt(canvas.width / 2, canvas.height / 2, 1 / 1.5));
  $('save').addEventListener('click', () => save().catch(e => InSitu.show(e.message)));
  $('show-prediction').addEventListener('change', () => (s.prediction ? Promise.resolve(draw()) : prediction()).catch(e => InSitu.show(e.message)));
  $('show-uncertainty').addEventListener('change', () => (s.uncertainty ? Promise.resolve(draw()) : prediction()).catch(e => InSitu.show(e.message)));
  $('train').addEventListener('click', async () => {
    try {
      if (s.dirty) await save();
      const r = await post('/api/seg/train', { project: s.project, settings: $('train-settings').value.trim() || null });
      InSitu.jobPanel($('job'), r.job, async (st) => {
        if (st.state !== 'succeeded') return;
        s.info = await get('/api/seg/info?' + query({ p: s.project, image: s.image }));
        renderWorkflow();
        s.prediction = null; s.uncertainty = null;
        // overlays that are on show the new model at once
        if ($('show-prediction').checked || $('show-uncertainty').checked) await prediction().catch(e => InSitu.show(e.message));
        else draw();
      });
    } catch (e) { InSitu.show(e.message); }
  });
  $('next-patch').addEventListener('click', async () => {
    try {
      const p = await post('/api/seg/suggest', { project: s.project });
      if (!p) return;
      if (p.image !== s.image) await openImage(p.image);
      s.patch = p;
      s.scale = Math.min(canvas.width / p.width, canvas.height / p.height) * 0.9;
      s.ox = p.x + p.width / 2 - canvas.width / s.scale / 2;
      s.oy = p.y + p.height / 2 - canvas.height / s.scale / 2;
      draw();
    } catch (e) { InSitu.show(e.message); }
  });
  $('add-class').addEventListener('click', async () => {
    const name = $('new-class').value.trim();
    if (!name || !s.info) return;
    try {
      const r = await post('/api/seg/classes', { project: s.project, classes: [...s.info.classes, name] });
      s.info.classes = r.classes;
      $('new-class').value = '';
      renderClasses();
    } catch (e) { InSitu.show(e.message); }
  });
  window.addEventListener('beforeunload', (e) => { if (s.dirty) e.preventDefault(); });

  const ready = (async () => {
    await InSitu.init('/annotate');
    canvas.width = Math.max(480, Math.min(window.innerWidth - 300, 1400));
    canvas.height = Math.max(360, Math.min(window.innerHeight - 260, 900));
    setSize(s.size);
    s.projects = await get('/api/seg/projects');
    if (s.projects.length === 0) { InSitu.show('No image folders under the data folder (or images/ folders under runs).', 'info'); return; }
    const pick = $('project');
    clear(pick, s.projects.map(p => el('option', { value: p.id }, p.id)));
    const wanted = param('p') && s.projects.some(p => p.id === param('p')) ? param('p') : s.projects[0].id;
    pick.value = wanted;
    pick.addEventListener('change', () => openProject(pick.value).catch(e => InSitu.show(e.message)));
    await openProject(wanted);
  })().catch(e => InSitu.show(e.message));

  return { state: s, ready, save, toScreen, toImage, fit, draw };
})();
window.annotator = annotator;
