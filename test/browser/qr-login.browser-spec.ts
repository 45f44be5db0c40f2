import { createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import jsQR from 'jsqr';
import { Browser, chromium, Page } from 'playwright-core';
import { Database } from '../../src/database/database.service';
import { loginWithPhone, nextPhone } from '../support/flows';
import { CONFIRM_QR, onApp, SCAN_QR } from '../support/qr-login';
import { startTestApp, TestApp } from '../support/test-app';
import { CHROMIUM, CHROMIUM_ARGS } from '../support/web-page-server';

// The example page (examples/qr-login) in headless Chromium against the service: it shows a QR code
// (drawn by qrcode-generator), which we read back from its canvas with jsQR as a phone camera would;
// the app side scans and confirms it as a signed-in user; the page lands signed in.
const { startExampleServer } = require('../../examples/qr-login/serve.js') as {
  startExampleServer(port?: number): Promise<{ port: number; close(): Promise<void> }>;
};

/** What a camera sees: the canvas's pixels, decoded. */
async function readQrCode(page: Page): Promise<string | null> {
  // A string, so that this file needs no DOM typings.
  const image = (await page.evaluate(`(() => {
    const canvas = document.getElementById('qr');
    const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
    return { width: data.width, height: data.height, pixels: Array.from(data.data) };
  })()`)) as { width: number; height: number; pixels: number[] };
  return jsQR(Uint8ClampedArray.from(image.pixels), image.width, image.height)?.data ?? null;
}

describe('the QR login example page (headless Chromium)', () => {
  let t: TestApp;
  let site: { port: number; close(): Promise<void> };
  let browser: Browser;
  let service: string;

  beforeAll(async () => {
    site = await startExampleServer();
    t = await startTestApp();
    await t.app.listen(0, '127.0.0.1');
    service = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  });

  afterAll(async () => {
    await browser?.close();
    await t?.close();
    await site?.close();
  });

  it('shows a QR code of the qrContent, and is signed in as the app user once the app confirms', async () => {
    const user = await loginWithPhone(t, nextPhone());
    const page = await browser.newPage();
    try {
      await page.goto(`http://localhost:${site.port}/?service=${encodeURIComponent(service)}&interval=200`);
      await page.waitForSelector('body[data-state="waiting"]');
      const qrContent = await readQrCode(page);
      expect(qrContent).toMatch(/^wlqr:[A-Za-z0-9_-]{43}$/);
      // It is the content of the login this page started (only its hash is stored).
      const rows = await t.app
        .get(Database)
        .sql.rows<{ kind: string; status: string }>('SELECT kind, status FROM qr_logins WHERE code_hash = ?', [
          createHash('sha256').update(qrContent!).digest('hex'),
        ]);
      expect(rows).toEqual([{ kind: 'app', status: 'PENDING' }]);

      const scanned = await onApp(t, SCAN_QR, qrContent!, user.accessToken);
      expect(scanned.body.data?.scanQrLogin).toEqual(
        expect.objectContaining({ userAgent: expect.stringContaining('Chrome') }),
      );
      await page.waitForSelector('body[data-state="scanned"]');
      expect((await onApp(t, CONFIRM_QR, qrContent!, user.accessToken)).body.data).toEqual({ confirmQrLogin: true });

      await page.waitForSelector('body[data-state="signed-in"]');
      expect(await page.textContent('#status')).toBe(`Signed in as ${user.userId}`);
      const stored = JSON.parse((await page.evaluate("sessionStorage.getItem('qr-demo.session')")) as string) as {
        user: { id: string };
      };
      expect(stored.user.id).toBe(user.userId);
    } finally {
      await page.close();
    }
  });
});
