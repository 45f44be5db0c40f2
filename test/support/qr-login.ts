import type { GqlResponse, TestApp } from './test-app';
import { bearer } from './flows';

export const START_QR = `mutation Start($deviceId: String) {
  startQrLogin(deviceId: $deviceId) { id qrContent pollToken expiresAt }
}`;
export const QR_STATUS = `query Status($id: ID!, $pollToken: String!) {
  qrLoginStatus(id: $id, pollToken: $pollToken) {
    status bindTicket
    session { accessToken refreshToken accessTokenExpiresAt refreshTokenExpiresAt user { id } }
  }
}`;
export const SCAN_QR = `mutation Scan($qrContent: String!) {
  scanQrLogin(qrContent: $qrContent) { ip userAgent createdAt }
}`;
export const CONFIRM_QR = 'mutation Confirm($qrContent: String!) { confirmQrLogin(qrContent: $qrContent) }';
export const CANCEL_QR = 'mutation Cancel($qrContent: String!) { cancelQrLogin(qrContent: $qrContent) }';

export interface StartedQr {
  id: string;
  qrContent: string;
  pollToken: string;
  expiresAt: string;
}

export interface QrState {
  status: string;
  bindTicket: string | null;
  session: { accessToken: string; refreshToken: string; user: { id: string } } | null;
}

export async function startQr(
  t: TestApp,
  headers: Record<string, string> = {},
  deviceId = 'page-1',
): Promise<StartedQr> {
  const res = await t.gql<{ startQrLogin: StartedQr }>(START_QR, { deviceId }, headers);
  if (!res.body.data?.startQrLogin) throw new Error(`startQrLogin failed: ${JSON.stringify(res.body.errors)}`);
  return res.body.data.startQrLogin;
}

export function pollQr(t: TestApp, id: string, pollToken: string): Promise<GqlResponse<{ qrLoginStatus: QrState }>> {
  return t.gql<{ qrLoginStatus: QrState }>(QR_STATUS, { id, pollToken });
}

export function onApp(
  t: TestApp,
  query: string,
  qrContent: string,
  accessToken: string,
): Promise<GqlResponse<Record<string, unknown>>> {
  return t.gql(query, { qrContent }, bearer(accessToken));
}
