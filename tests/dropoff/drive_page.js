// Drives the drop-off page in Debian's headless Chromium (puppeteer-core,
// never a downloaded browser) as a person would: open the link, read what
// the page shows, paste the token, press the button, read the outcome.
//
//   node drive_page.js URL SPKI_SHA256_BASE64 USER_DATA_DIR
//   env DROPOFF_TOKEN: the token to paste; empty: only open the page.
//   env DROPOFF_CERT, DROPOFF_KEY, DROPOFF_PASSWORD: for a key link, the
//   certificate and key files to pick and the password to type.
//   env DROPOFF_LANG: "pl" or "en": the browser's language, and the
//   language button pressed once the page has opened.
//
// Prints one JSON object: {"opened": data-state after opening, "openText",
// "fingerprint", "name", "context", "state": data-state at the end,
// "statusText", "headers": the page response's headers, "urlAfterOpen",
// "consoleErrors": CSP violations and script errors}.
'use strict';

const puppeteer = require('puppeteer-core');

async function main() {
  const [url, spki, userDataDir] = process.argv.slice(2);
  const token = process.env.DROPOFF_TOKEN || '';
  const lang = process.env.DROPOFF_LANG || 'en';
  const browser = await puppeteer.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    userDataDir,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
      '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync',
      `--lang=${lang}`,
      `--ignore-certificate-errors-spki-list=${spki}`,
    ],
  });
  const out = { consoleErrors: [] };
  try {
    const page = await browser.newPage();
    page.on('console', (m) => { if (m.type() === 'error') out.consoleErrors.push(m.text()); });
    page.on('pageerror', (e) => out.consoleErrors.push(String(e)));
    const response = await page.goto(url, { waitUntil: 'domcontentloaded' });
    out.headers = response.headers();
    const settled = '#status[data-state="ready"], #status[data-state="error"]';
    await page.waitForSelector(settled, { timeout: 30000 });
    // The person picks their language (the page starts in the browser's).
    await page.click(`#lang-${lang}`);
    out.opened = await page.$eval('#status', (e) => e.getAttribute('data-state'));
    out.openText = await page.$eval('#status', (e) => e.textContent);
    out.urlAfterOpen = page.url();
    out.fingerprint = await page.$eval('#fingerprint', (e) => e.textContent);
    out.name = await page.$eval('#name', (e) => e.textContent);
    out.context = await page.$eval('#context', (e) => e.textContent);
    out.title = await page.$eval('h1', (e) => e.textContent);
    if (process.env.DROPOFF_KEY && out.opened === 'ready') {
      await (await page.$('#cert-file')).uploadFile(process.env.DROPOFF_CERT);
      await (await page.$('#key-file')).uploadFile(process.env.DROPOFF_KEY);
      await page.type('#key-password', process.env.DROPOFF_PASSWORD || '');
      await page.click('#send-key');
      await page.waitForSelector(
        '#status[data-state="done"], #status[data-state="error"]', { timeout: 60000 });
    } else if (token && out.opened === 'ready') {
      await page.type('#token', token);
      await page.click('#send');
      await page.waitForSelector(
        '#status[data-state="done"], #status[data-state="error"]', { timeout: 30000 });
    }
    out.state = await page.$eval('#status', (e) => e.getAttribute('data-state'));
    out.statusText = await page.$eval('#status', (e) => e.textContent);
  } finally {
    await browser.close();
  }
  process.stdout.write(JSON.stringify(out) + '\n');
}

main().catch((e) => {
  process.stderr.write(String(e && e.stack || e) + '\n');
  process.exit(1);
});
