// Takes the web app's screenshots in docs/ with Playwright, against a running `insitu serve` (e.g. on the demo's runs):
//   node=tests/InSitu.Web.Tests/bin/Release/net10.0/.playwright/node/linux-x64/node
//   $node docs/web-screenshots.js http://127.0.0.1:8050 docs
// It uses the Playwright driver that the Microsoft.Playwright package puts beside the web tests, and Debian's chromium.
'use strict';
const path = require('path');
const { chromium } = require(path.join(__dirname, '..', 'tests', 'InSitu.Web.Tests', 'bin', 'Release', 'net10.0', '.playwright', 'package'));

(async () => {
  const [base, out] = process.argv.slice(2);
  const context = await chromium.launchPersistentContext(path.join(require('os').tmpdir(), 'insitu-shots-' + process.pid), {
    executablePath: '/usr/bin/chromium', headless: true, viewport: { width: 1280, height: 860 },
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  const page = await context.newPage();
  page.setDefaultTimeout(600000);
  const shot = (name) => page.screenshot({ path: path.join(out, `web-${name}.png`) });
  const images = () => page.waitForFunction(() => [...document.images].every(i => i.complete));

  const runs = await (await page.request.get(base + '/api/runs')).json();
  await page.goto(base + '/compare?ids=' + encodeURIComponent(runs.map(r => r.id).join(',')));
  await page.waitForSelector('#summary');
  await images();
  await shot('compare');

  const datasets = await (await page.request.get(base + '/api/datasets')).json();
  const m = datasets[0].id;
  await page.goto(base + '/datasets?m=' + encodeURIComponent(m) + '&labels=precise');
  await page.waitForFunction(() => document.querySelectorAll('#gallery img').length > 0);
  await images();
  await shot('datasets');

  await page.goto(base + '/image?m=' + encodeURIComponent(m) + '&row=40');
  await page.waitForFunction(() => document.getElementById('overlay')?.naturalWidth > 0);
  await shot('image');

  await page.goto(base + '/queue?m=' + encodeURIComponent(m));
  await page.click('#rank');
  await page.waitForFunction(() => document.querySelector('#item')?.dataset.path);
  for (const key of ['1', '2']) {
    const before = await page.getAttribute('#item', 'data-path');
    await page.keyboard.press(key);
    await page.waitForFunction((p) => document.querySelector('#item').dataset.path !== p, before);
  }
  await page.selectOption('#retrain-method', 'plain');
  await page.fill('#retrain-settings', '{"fine": {"epochs": 4, "milestones": [3]}}');
  await page.click('#retrain');
  await page.waitForFunction(() => {
    const s = document.querySelector('.job-state');
    return s?.textContent.startsWith('retrain') && s.dataset.state === 'succeeded';
  });
  await page.waitForFunction(() => document.querySelector('#item')?.dataset.path && /v=[1-9]/.test(document.querySelector('#learning').src));
  await images();
  await page.screenshot({ path: path.join(out, 'web-queue.png'), fullPage: true });

  await page.goto(base + '/annotate?p=' + encodeURIComponent(m.replace(/manifest\.csv$/, 'images')) + '&image=000040.png');
  await page.waitForFunction(() => window.annotator && annotator.state.labels);
  await page.waitForTimeout(1000);
  const box = await page.locator('#view').boundingBox();
  const stroke = async (points, key) => {
    await page.keyboard.press(key);
    const screen = await page.evaluate((ps) => ps.map(([x, y]) => annotator.toScreen(x, y)), points);
    await page.mouse.move(box.x + screen[0][0], box.y + screen[0][1]);
    await page.mouse.down();
    for (const [x, y] of screen.slice(1)) await page.mouse.move(box.x + x, box.y + y, { steps: 8 });
    await page.mouse.up();
  };
  await page.evaluate(() => { const e = document.getElementById('size'); e.value = 8; e.dispatchEvent(new Event('input')); });
  await stroke([[60, 40], [160, 30], [260, 40]], '2');
  await stroke([[80, 80], [240, 85]], '2');
  await stroke([[10, 10], [310, 10]], '1');
  await stroke([[10, 120], [310, 120]], '1');
  await stroke([[160, 20], [160, 100]], 'e');
  await page.click('#save');
  await page.waitForFunction(() => document.querySelector('#save-state').dataset.state === 'saved');
  await shot('annotate');

  // term review, where a `bags predict` output exists under runs (e.g. after make demo-bags and bags predict)
  const sources = await (await page.request.get(base + '/api/terms/sources')).json();
  if (sources.predictions.length > 0) {
    await page.goto(base + '/terms?p=' + encodeURIComponent(sources.predictions[0]));
    await page.waitForSelector('#status');
    await images();
    await shot('terms');
  }
  await context.close();
})().catch((e) => { console.error(e); process.exit(1); });
