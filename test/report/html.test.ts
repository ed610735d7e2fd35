// The HTML report: self-contained (no URL of any kind is fetched), every
// value escaped (a <script> in a response body is shown, not run), and the
// verdict table, findings and concurrent timelines checked in a real
// headless Chromium.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type BrowserContext } from 'playwright-core';
import { htmlReport } from '../../src/report/html.js';
import { FileReporter } from '../../src/report/file.js';
import { ReporterMultiplexer } from '../../src/report/events.js';
import { Redactor } from '../../src/secrets/redactor.js';
import { SEVERITY, summarize, type AttackMetrics, type RunResult } from '../../src/model/results.js';
import { tempDir } from '../helpers/harness.js';
import { handcraftedResult, realRun, SCRIPT_BODY, SECRET, WEIRD } from './results.js';

/** Debian's Chromium; IDEMCHAOS_CHROMIUM names another binary. */
const CHROMIUM = process.env.IDEMCHAOS_CHROMIUM ?? '/usr/bin/chromium';
const redact = new Redactor([SECRET]);

async function writeHtml(result: RunResult): Promise<{ file: string; html: string }> {
  const file = path.join(await tempDir(), 'report.html');
  const events = new ReporterMultiplexer([new FileReporter('html', file, (r) => htmlReport(r))], (name, err) => assert.fail(`${name} failed: ${String(err)}`), { redact });
  await events.emit({ type: 'run-end', result });
  return { file, html: await readFile(file, 'utf8') };
}

/** Nothing in the markup can make a browser fetch or run anything. */
function assertSelfContained(html: string): void {
  // Text has every `<` escaped, so each `<` starts markup.
  const tags = html.match(/<[^>]*>/g) ?? [];
  assert.ok(tags.length > 10);
  for (const tag of tags) {
    assert.ok(!/^<\/?(script|img|iframe|frame|object|embed|link|video|audio|source|track|base|form|input|use|image|picture|portal)\b/i.test(tag), `no element that loads or runs: ${tag}`);
    assert.ok(!/\s(src|srcset|action|formaction|poster|background|data|ping|xlink:href|xmlns)\s*=/i.test(tag), `no resource attribute: ${tag}`);
    assert.ok(!/\son\w+\s*=/i.test(tag), `no event handler: ${tag}`);
    for (const m of tag.matchAll(/\shref\s*=\s*"([^"]*)"/gi)) assert.match(m[1]!, /^#[\w-]+$/, `links stay inside the page: ${tag}`);
    if (/^<meta\b/i.test(tag)) assert.ok(!/refresh/i.test(tag), tag);
  }
  const css = [...html.matchAll(/<style>([\s\S]*?)<\/style>/g)].map((m) => m[1]).join('\n');
  assert.ok(!/url\s*\(|@import|@font-face/i.test(css), 'no CSS that loads anything');
  assert.ok(html.includes(`<meta http-equiv="Content-Security-Policy" content="default-src 'none';`));
}

test('html: self-contained, redacted, escaped (static checks)', async () => {
  const { html } = await writeHtml(handcraftedResult());
  assertSelfContained(html);
  assert.ok(!html.includes(SECRET), 'the secret is masked');
  assert.ok(html.includes('Authorization: Bearer ***'));
  assert.ok(html.includes('set-cookie: ***'));
  assert.ok(html.includes('&lt;script&gt;window.__idemchaosPwned = 1&lt;/script&gt;&lt;img src=&quot;x&quot; onerror=&quot;window.__idemchaosPwned = 2&quot;&gt;'));
  assert.ok(html.includes('… 16384 of 70000 bytes shown'), 'bodies cut at 16 KiB');
  assert.ok(html.includes('binary body, shown as base64'));
  assert.ok(html.includes(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0xff, 0xfe, 0x01, 0x02]).toString('base64')));
});

test('html: a concurrent attack without a timeline, and an empty run, still render', () => {
  const result = handcraftedResult();
  result.scenarios[0]!.attacks[1]!.metrics = { engine: 'h1', timeline: [{ request: 'one' }, null] } as AttackMetrics;
  const html = htmlReport(redact.run(result));
  assert.ok(html.includes('No timeline was recorded for this attack.'));
  assert.ok(!html.includes('<svg class="timeline"'));
  const empty = htmlReport(redact.run({ ...result, scenarios: [], summary: { scenarios: 0, attacks: 0, passed: 0, failed: 0, errored: 0, skipped: 0 }, ok: true }));
  assert.ok(empty.includes('No scenario ran.'));
  assertSelfContained(empty);
});

/**
 * An element's text as a reader gets it: each verdict icon as its label in
 * brackets, then the rendered text. Runs in the page (so it uses nothing from here).
 */
function iconText(el: unknown): string {
  type El = { tagName: string; childNodes: ArrayLike<El>; nodeType: number; textContent: string | null; getAttribute(n: string): string | null; classList?: { contains(c: string): boolean } };
  const walk = (n: El): string => {
    if (n.nodeType === 3) return n.textContent ?? '';
    if (n.tagName.toLowerCase() === 'svg' && n.classList?.contains('icon')) return `[${n.getAttribute('aria-label')}]`;
    if (n.tagName === 'BR') return '\n';
    return Array.from(n.childNodes).map(walk).join('');
  };
  return walk(el as El).trim();
}

interface PageText {
  iconText(el: unknown): string;
}

/** Makes iconText callable in the page's scripts (functions are not sent along with a page script). */
async function installIconText(page: { evaluate(script: string): Promise<unknown> }): Promise<void> {
  await page.evaluate(`globalThis.iconText = ${iconText.toString()}`);
}

const LAUNCH_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** Skips without Chromium, unless IDEMCHAOS_REQUIRE_BROWSER=1 (then it fails). */
function needBrowser(t: TestContext): boolean {
  if (existsSync(CHROMIUM)) return true;
  if (process.env.IDEMCHAOS_REQUIRE_BROWSER === '1') assert.fail(`${CHROMIUM} is required (IDEMCHAOS_REQUIRE_BROWSER=1): apt-get install -y chromium`);
  t.skip(`${CHROMIUM} not installed (apt-get install -y chromium); set IDEMCHAOS_REQUIRE_BROWSER=1 to make this a failure`);
  return false;
}

/**
 * A fresh profile and a browser that does not enforce the page's CSP, so that
 * these checks test the markup itself. Every request but the page is counted
 * and aborted.
 */
async function openBrowser(t: TestContext): Promise<{ context: BrowserContext; external: string[] }> {
  const profile = await mkdtemp(path.join(tmpdir(), 'idemchaos-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: LAUNCH_ARGS,
    bypassCSP: true,
    offline: false,
    timeout: 60_000,
  });
  t.after(async () => {
    await context.close();
    await rm(profile, { recursive: true, force: true });
  });
  const external: string[] = [];
  await context.route('**/*', async (route) => {
    const url = route.request().url();
    if (url.startsWith('file:')) return route.continue();
    external.push(url);
    return route.abort();
  });
  context.on('request', (req) => {
    if (!req.url().startsWith('file:') && !external.includes(req.url())) external.push(req.url());
  });
  return { context, external };
}

test('html: in a headless browser, the handcrafted run', async (t) => {
  if (!needBrowser(t)) return;
  const result = handcraftedResult();
  const { file } = await writeHtml(result);
  const { context, external } = await openBrowser(t);
  const page = await context.newPage();
  const dialogs: string[] = [];
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  const fileRequests: string[] = [];
  page.on('request', (r) => fileRequests.push(r.url()));
  await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
  await installIconText(page);

  // The <script> payload in a response body is text on the page, and never ran.
  assert.equal(await page.evaluate(() => (globalThis as unknown as { __idemchaosPwned?: number }).__idemchaosPwned), undefined);
  assert.equal(await page.locator('script, img').count(), 0);
  const bodies = await page.locator('pre.body').allInnerTexts();
  assert.ok(bodies.includes(SCRIPT_BODY), 'the payload is shown as text');
  assert.ok(await page.getByText('<script>window.__idemchaosPwned = 1</script>', { exact: false }).first().isVisible());

  // Verdict table
  const rows = await page.locator('table.verdicts tbody tr').evaluateAll((trs) =>
    trs.map((tr) =>
      [...tr.querySelectorAll('th, td')].map((c) =>
        c.tagName === 'TD' ? `${(globalThis as unknown as PageText).iconText(c)}|${c.getAttribute('data-verdict') ?? ''}` : (c.firstChild?.textContent ?? ''),
      ),
    ),
  );
  // HTML reads a CR LF in text as LF.
  const name = WEIRD.replace('\r\n', '\n');
  assert.deepEqual(rows, [
    [name, '[fail] wrong-replay\nduplicate-effect|fail', '[pass] pass|pass', '[could not test] could not test|error', '[skip] skip|skip', '[pass] pass|pass'],
    ['plain', '[pass] pass|pass', '|', '|', '|', '|'],
  ]);
  const header = await page.locator('table.verdicts thead th').allInnerTexts();
  assert.deepEqual(header, ['scenario', 'replay', 'concurrent', 'reuse', 'expiry', 'drop']);
  assert.equal(await page.locator('table.verdicts td[data-attack="expiry"]').getAttribute('title'), 'no idempotency.ttl: the expiry attack needs it');

  // Findings and could-not-test
  const titles = await page.locator('.finding-title').evaluateAll((els) => els.map((e) => (globalThis as unknown as PageText).iconText(e)));
  assert.deepEqual(titles, [`[fail] ${name} › replay: wrong-replay major`, `[fail] ${name} › replay: duplicate-effect critical`]);
  assert.deepEqual(await page.locator('.finding .oracle').allTextContents(), ['oracle: 0 before, 1 after; ids: ord_1', 'oracle: 0 before, 2 after; ids: ord_1, ord_2 (read twice)']);
  assert.equal(await page.locator('.finding .diff pre').textContent(), 'status: 201 → 200\n$.note: "```" → "<b>|</b>"');
  assert.equal(
    await page.locator('.could-not-test .reason').textContent(),
    'the first request was answered 503, not a success: "busy" <retry> & 50% later,\nsee ***',
  );
  assert.deepEqual(await page.locator('#skipped li').evaluateAll((els) => els.map((e) => (globalThis as unknown as PageText).iconText(e))), [`[skip] ${name} › expiry: no idempotency.ttl: the expiry attack needs it`]);
  assert.match((await page.locator('h1').textContent()) ?? '', /idemchaos: 2 findings in 1 attack/);

  // The timeline: one row per request, coloured by status, an axis in ms.
  const svg = page.locator('svg.timeline');
  assert.equal(await svg.count(), 1);
  const tl = (result.scenarios[0]!.attacks[1]!.metrics as { timeline: unknown }).timeline as { request: number; status: number; firstByteMs?: number }[];
  const drawn = await svg.locator('g.tl-row').evaluateAll((gs) =>
    gs.map((g) => ({
      request: Number(g.getAttribute('data-request')),
      status: Number(g.getAttribute('data-status')),
      bar: g.querySelector('rect.tl-bar')?.getAttribute('fill') ?? null,
      release: g.querySelectorAll('path.tl-release').length,
    })),
  );
  assert.deepEqual(
    drawn,
    tl.map((p) => ({
      request: p.request,
      status: p.status,
      bar: p.firstByteMs === undefined ? null : { 201: '#2e7d32', 409: '#f9a825', 500: '#c62828' }[p.status as 201 | 409 | 500],
      release: 1,
    })),
  );
  // Bars and marks sit inside the picture, in time order: request 1's bar (150.5 ms) right of request 2's (2.5 ms).
  const boxes = await svg.locator('rect.tl-bar').evaluateAll((rs) => rs.map((r) => (r as unknown as { getBBox(): { x: number; width: number } }).getBBox()).map((b) => ({ x: b.x, w: b.width })));
  const width = Number(await svg.getAttribute('width'));
  for (const b of boxes) assert.ok(b.x >= 0 && b.x + b.w <= width, JSON.stringify(b));
  assert.ok(boxes[0]!.x > boxes[1]!.x);
  const ticks = await svg.locator('g.axis text').allTextContents();
  assert.deepEqual(ticks.slice(0, 3), ['0', '20', '40']);
  assert.equal(ticks.at(-1), 'ms after the first release');

  // Nothing was requested but the file itself.
  assert.equal(external.length, 0, external.join(', '));
  assert.deepEqual(fileRequests, [pathToFileURL(file).href]);
  assert.deepEqual(dialogs, []);

  // The counting works: a page that does load something is seen.
  const control = await context.newPage();
  await control.setContent('<img src="http://192.0.2.1/pixel.png"><link rel="stylesheet" href="https://example.invalid/a.css">', { waitUntil: 'load' });
  assert.ok(external.some((u) => u.startsWith('http://192.0.2.1/')), `counted: ${external.join(', ')}`);
});

test('html: in a headless browser, a real run with a concurrent race', async (t) => {
  if (!needBrowser(t)) return;
  const { result } = await realRun();
  const { file, html } = await writeHtml(result);
  assertSelfContained(html);
  assert.ok(!html.includes(SECRET));
  const { context, external } = await openBrowser(t);
  const page = await context.newPage();
  await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
  await installIconText(page);

  const rows = await page.locator('table.verdicts tbody tr').evaluateAll((trs) =>
    trs.map((tr) => [...tr.querySelectorAll('th, td')].map((c) => (c.tagName === 'TD' ? c.getAttribute('data-verdict') ?? '' : (c.firstChild?.textContent ?? '').trim()))),
  );
  assert.deepEqual(rows, [
    ['race orders', 'pass', 'fail'],
    ['replay orders', 'fail', ''],
    ['gone orders', 'error', ''],
  ]);
  const titles = await page.locator('.finding-title').evaluateAll((els) => els.map((e) => (globalThis as unknown as PageText).iconText(e)));
  assert.deepEqual(titles, [
    ...result.scenarios[0]!.attacks[1]!.findings.map((f) => `[fail] race orders › concurrent: ${f.kind} ${SEVERITY[f.kind]}`),
    '[fail] replay orders › replay: wrong-replay major',
  ]);
  assert.equal(titles[0], '[fail] race orders › concurrent: duplicate-effect critical');
  assert.match((await page.locator('.finding .diff pre').textContent()) ?? '', /^status: 201 → 200\n\$\.createdAt: /);

  // One picture per burst, one row per request, each answered 201 by the racing server.
  const metrics = result.scenarios[0]!.attacks[1]!.metrics as AttackMetrics & { timeline?: unknown };
  const bursts = (Array.isArray(metrics.timelines) ? metrics.timelines : [metrics.timeline]) as { request: number; status: number }[][];
  const svgs = page.locator('#timelines svg.timeline');
  assert.equal(await svgs.count(), bursts.length);
  for (let i = 0; i < bursts.length; i++) {
    const drawn = await svgs.nth(i).locator('g.tl-row').evaluateAll((gs) => gs.map((g) => [Number(g.getAttribute('data-request')), Number(g.getAttribute('data-status'))]));
    assert.deepEqual(drawn, bursts[i]!.map((p) => [p.request, p.status]));
    assert.equal(drawn.length, 8, 'requests: 8');
    assert.equal(await svgs.nth(i).locator('rect.tl-bar').count(), 8);
  }
  assert.equal(external.length, 0, external.join(', '));
});

/** Each verdict's icon colour, as drawn. */
const ICON_RGB = { pass: [46, 125, 50], fail: [198, 40, 40], error: [239, 108, 0], skip: [117, 117, 117] } as const;

/** The browser globals the page scripts below use (these tests compile without the DOM library). */
interface PageGlobals {
  Image: new () => { src: string; width: number; height: number; decode(): Promise<void> };
  document: {
    createElement(tag: 'canvas'): {
      width: number;
      height: number;
      getContext(kind: '2d'): { drawImage(img: unknown, x: number, y: number): void; getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } | null;
    };
  };
  getComputedStyle(e: unknown): { color: string };
}

/** The share of a PNG's pixels within a small distance of `rgb`, measured in a blank page's canvas. */
async function inkShare(context: BrowserContext, png: Buffer, rgb: readonly number[]): Promise<number> {
  const page = await context.newPage();
  try {
    return await page.evaluate(
      async ({ b64, rgb }) => {
        const w = globalThis as unknown as PageGlobals;
        const img = new w.Image();
        img.src = `data:image/png;base64,${b64}`;
        await img.decode();
        const canvas = w.document.createElement('canvas');
        canvas.width = img.width;
        canvas.height = img.height;
        const g = canvas.getContext('2d')!;
        g.drawImage(img, 0, 0);
        const d = g.getImageData(0, 0, canvas.width, canvas.height).data;
        let n = 0;
        for (let i = 0; i < d.length; i += 4) {
          if (Math.abs(d[i]! - rgb[0]!) < 30 && Math.abs(d[i + 1]! - rgb[1]!) < 30 && Math.abs(d[i + 2]! - rgb[2]!) < 30) n++;
        }
        return n / (canvas.width * canvas.height);
      },
      { b64: png.toString('base64'), rgb: [...rgb] },
    );
  } finally {
    await page.close();
  }
}

/** Where screenshots go: IDEMCHAOS_SCREENSHOT_DIR (kept), else a temporary directory. */
async function screenshotPath(name: string): Promise<string> {
  return path.join(process.env.IDEMCHAOS_SCREENSHOT_DIR ?? (await tempDir()), name);
}

test('html: in a headless browser, verdict icons are drawn without an emoji font; only counts above 0 are coloured', async (t) => {
  if (!needBrowser(t)) return;
  const hand = handcraftedResult();
  const { file, html } = await writeHtml(hand);
  // Debian's Chromium has no emoji font: an emoji is drawn as an empty box.
  assert.deepEqual(html.match(/\p{Extended_Pictographic}/gu), null, 'no emoji in the page');
  const { context } = await openBrowser(t);
  const page = await context.newPage();
  await page.setViewportSize({ width: 1100, height: 800 });
  await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
  const shot = await screenshotPath('report-icons.png');
  await page.screenshot({ path: shot, fullPage: true });
  t.diagnostic(`screenshot: ${shot}`);

  // An icon, named for screen readers, wherever a verdict is shown.
  const icons = async (selector: string) =>
    page.locator(`${selector} svg.icon`).evaluateAll((els) =>
      els.map((e) => {
        const box = e.getBoundingClientRect();
        return `${e.getAttribute('data-verdict')}:${e.getAttribute('aria-label')}:${box.width >= 12 && box.height >= 12 ? 'drawn' : 'tiny'}`;
      }),
    );
  assert.deepEqual(await icons('h1'), ['fail:fail:drawn']);
  assert.deepEqual(await icons('table.verdicts'), ['fail:fail:drawn', 'pass:pass:drawn', 'error:could not test:drawn', 'skip:skip:drawn', 'pass:pass:drawn', 'pass:pass:drawn']);
  assert.deepEqual(await icons('.finding-title'), ['fail:fail:drawn', 'fail:fail:drawn']);
  assert.deepEqual(await icons('.could-not-test h3'), ['error:could not test:drawn']);
  assert.deepEqual(await icons('#skipped'), ['skip:skip:drawn']);
  assert.deepEqual(await icons('.exchange-error'), ['error:no response:drawn']);

  // Each icon really is drawn in its colour (an empty box would be a thin outline).
  for (const verdict of ['pass', 'fail', 'error', 'skip'] as const) {
    const png = await page.locator(`table.verdicts svg.icon[data-verdict="${verdict}"]`).first().screenshot();
    const share = await inkShare(context, png, ICON_RGB[verdict]);
    assert.ok(share > 0.25, `${verdict} icon: ${(share * 100).toFixed(0)}% of its pixels in its colour`);
  }

  // Counts: coloured by their value, so "0 failed" is not red.
  const counts = async () =>
    page.locator('header .counts .count').evaluateAll((els) => els.map((e) => `${(e as unknown as { innerText: string }).innerText} ${(globalThis as unknown as PageGlobals).getComputedStyle(e).color}`));
  assert.deepEqual(await counts(), ['3 passed rgb(46, 125, 50)', '1 failed rgb(198, 40, 40)', '1 could not test rgb(179, 92, 0)', '1 skipped rgb(107, 107, 107)']);
  const clean = hand.scenarios[1]!;
  const { file: cleanFile } = await writeHtml({ ...hand, scenarios: [clean], summary: summarize([clean]), ok: true });
  await page.goto(pathToFileURL(cleanFile).href, { waitUntil: 'load' });
  await page.screenshot({ path: await screenshotPath('report-clean.png'), fullPage: true });
  assert.deepEqual(await counts(), ['1 passed rgb(46, 125, 50)', '0 failed rgb(107, 107, 107)', '0 could not test rgb(107, 107, 107)', '0 skipped rgb(107, 107, 107)']);
  assert.deepEqual(await icons('h1'), ['pass:pass:drawn']);
  const png = await page.locator('h1 svg.icon').screenshot();
  assert.ok((await inkShare(context, png, ICON_RGB.pass)) > 0.25);
});
