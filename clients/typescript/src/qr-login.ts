import { LoginClientCore, type User } from './base-client.js';
import {
  CancelQrLoginDocument,
  ConfirmQrLoginDocument,
  QrLoginStatusDocument,
  ScanQrLoginDocument,
  StartQrLoginDocument,
  StartWechatFollowLoginDocument,
  type QrLoginStatus,
  type ScanQrLoginMutation,
  type StartQrLoginMutation,
  type StartWechatFollowLoginMutation,
} from './generated/graphql.js';

/** What the page shows (qrContent as a QR code) and keeps to itself (pollToken). */
export type QrLoginTicket = StartQrLoginMutation['startQrLogin'];
/** Follow login: the page shows `qrUrl` (WeChat's QR image of the official account) and keeps `pollToken`. */
export type WechatFollowLoginTicket = StartWechatFollowLoginMutation['startWechatFollowLogin'];
/** For the app's confirm screen: where the request comes from. */
export type QrLoginRequester = ScanQrLoginMutation['scanQrLogin'];

/** How a page's wait ended. */
export type QrLoginResult =
  /** signed in: the session is stored in this client */
  | { status: 'CONFIRMED'; user: User }
  /** follow login of a new person: bind a phone with it (sendBindCode, bindPhone) */
  | { status: 'CONFIRMED'; bindTicket: string }
  /** CANCELLED (the user said no), EXPIRED (start again), or CONFIRMED but collected elsewhere */
  | { status: 'CANCELLED' | 'EXPIRED' | 'CONFIRMED'; user?: undefined; bindTicket?: undefined };

export interface WaitOptions {
  /** between polls (default 2000 ms) */
  intervalMs?: number;
  /** each status as it changes (PENDING, SCANNED, ...): show "scanned, confirm on your phone" */
  onStatus?: (status: QrLoginStatus) => void;
  /** stop waiting (the page closed the dialog); the promise rejects with the signal's reason */
  signal?: AbortSignal;
}

const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });

/**
 * QR login (docs/qr-login.md). The page (desktop, TV): startQrLogin, show qrContent, waitForQrLogin.
 * The app, signed in on the phone: scanQrLogin, show the requester, then confirmQrLogin or cancelQrLogin.
 */
export class QrLoginClientCore extends LoginClientCore {
  /** The page: a new QR login (about two minutes). Show `qrContent` as a QR code; keep `pollToken` to the page. */
  async startQrLogin(): Promise<QrLoginTicket> {
    const deviceId = await this.deviceId();
    return (await this.request(StartQrLoginDocument, { deviceId }, 'none')).startQrLogin;
  }

  /**
   * The page, "follow the official account to log in": show `qrUrl` as an image (WeChat's own QR code),
   * then waitForQrLogin. PROVIDER_NOT_CONFIGURED: the server has no verified service account.
   */
  async startWechatFollowLogin(): Promise<WechatFollowLoginTicket> {
    const deviceId = await this.deviceId();
    return (await this.request(StartWechatFollowLoginDocument, { deviceId }, 'none')).startWechatFollowLogin;
  }

  /**
   * The page: polls until the app confirms (the session is then stored here, once), cancels, or the
   * code expires. A page that prefers a push can watch the `qrLoginStatus` subscription over SSE at
   * /graphql/stream (graphql-sse) and call this once it sees CONFIRMED.
   */
  async waitForQrLogin(qr: Pick<QrLoginTicket, 'id' | 'pollToken'>, options: WaitOptions = {}): Promise<QrLoginResult> {
    let last: QrLoginStatus | null = null;
    for (;;) {
      const { qrLoginStatus: state } = await this.request(
        QrLoginStatusDocument,
        { id: qr.id, pollToken: qr.pollToken },
        'none',
      );
      if (state.status !== last) options.onStatus?.(state.status);
      last = state.status;
      if (state.session) return { status: 'CONFIRMED', user: await this.signedIn(state.session) };
      if (state.bindTicket) return { status: 'CONFIRMED', bindTicket: state.bindTicket };
      if (state.status === 'CONFIRMED' || state.status === 'CANCELLED' || state.status === 'EXPIRED') {
        return { status: state.status };
      }
      await sleep(options.intervalMs ?? 2000, options.signal);
    }
  }

  /** The app (signed in): the user scanned a code. Show the requester and ask; QR_LOGIN_INVALID: not (or no longer) valid. */
  async scanQrLogin(qrContent: string): Promise<QrLoginRequester> {
    return (await this.request(ScanQrLoginDocument, { qrContent }, 'required')).scanQrLogin;
  }

  /** The app: the user said yes on the confirm screen; the page gets its session. */
  async confirmQrLogin(qrContent: string): Promise<void> {
    await this.request(ConfirmQrLoginDocument, { qrContent }, 'required');
  }

  /** The app: the user said no; the page sees CANCELLED. */
  async cancelQrLogin(qrContent: string): Promise<void> {
    await this.request(CancelQrLoginDocument, { qrContent }, 'required');
  }
}
