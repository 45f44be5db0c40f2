import { createHash } from 'node:crypto';

/** A person scanned a follow-login QR code of an official account (WeChat's subscribe or SCAN event). */
export interface FollowScan {
  appId: string;
  openid: string;
  /** Our scene, as given to qrcode/create (without WeChat's `qrscene_` prefix). */
  scene: string;
  /** `subscribe`: they followed with this scan; `SCAN`: they already followed. */
  event: 'subscribe' | 'SCAN';
  ticket: string | null;
  /** The inbox row the event came in as. */
  eventId: string;
}

/**
 * What follow login does with a scan (src/follow-login/follow-login.service.ts, through FOLLOW_SCAN_LISTENER).
 * Throwing leaves the event pending: the inbox tries again with backoff.
 */
export interface FollowScanListener {
  onFollowScan(scan: FollowScan): Promise<void>;
}

export const FOLLOW_SCAN_LISTENER = Symbol('FollowScanListener');

/** A scene in logs: a digest, never the scene itself. */
export function sceneDigest(scene: string): string {
  return createHash('sha256').update(scene).digest('hex').slice(0, 12);
}
