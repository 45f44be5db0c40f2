import { sha256Hex } from '../common/secrets';
import type { QrLoginEntity } from './qr-login.entity';
import { QrLoginStatus } from './models/qr-login.models';

// Marks our codes among everything a phone camera sees; the rest is 256 random bits (base64url).
export const QR_CONTENT_PREFIX = 'wlqr:';
export const MAX_ID_LENGTH = 36;
export const MAX_SECRET_LENGTH = 128;
/** A confirmation in the code's last second still reaches the page: it may collect this much later. */
export const COLLECT_GRACE_MS = 60_000;

/** The stored hash of a bearer secret we issued, or null when it cannot be one (too long, empty). */
export function secretHash(value: string | null | undefined): string | null {
  return value && value.length <= MAX_SECRET_LENGTH ? sha256Hex(value) : null;
}

/** What the page sees: the stored status, EXPIRED when its time is up (a confirmation: after the grace). */
export function statusOf(row: QrLoginEntity, nowMs: number): QrLoginStatus {
  switch (row.status) {
    case 'CANCELLED':
      return QrLoginStatus.CANCELLED;
    case 'CONFIRMED':
      return row.collectedAt || row.expiresAt.getTime() + COLLECT_GRACE_MS > nowMs
        ? QrLoginStatus.CONFIRMED
        : QrLoginStatus.EXPIRED;
    default:
      return row.expiresAt.getTime() > nowMs ? QrLoginStatus[row.status] : QrLoginStatus.EXPIRED;
  }
}

/** A follow login's bind ticket is sealed to its row (app and scene): moved to another row it does not open. */
export function bindTicketContext(appId: string, codeHash: string): string {
  return `qr_logins.bind_ticket:${appId}:${codeHash}`;
}
