import { Injectable } from '@nestjs/common';
import { Clock } from '../common/clock';
import { newId } from '../common/ids';
import { randomToken, sha256Hex } from '../common/secrets';
import { AppConfig } from '../config/app-config.service';
import { Database } from '../database/database.service';

export const LOGIN_STATE_TTL_MS = 10 * 60 * 1000;
const MAX_STATE_LENGTH = 1024;

/** What a code exchange claims about itself; the state must agree. */
export interface StateClaim {
  appId: string;
  deviceId: string | null;
  purpose: 'login' | 'link';
  userId: string | null;
}

/**
 * The `state` of WeChat's OAuth: one-time, 128 bits, 10 minutes, bound to the device (and, for
 * linking, to the signed-in user) and to the app it was issued for.
 */
@Injectable()
export class LoginStateStore {
  private readonly required: boolean;

  constructor(
    private readonly database: Database,
    private readonly clock: Clock,
    config: AppConfig,
  ) {
    this.required = config.get('wechat').requireState;
  }

  async issue(claim: StateClaim): Promise<{ state: string; expiresAt: Date }> {
    const state = randomToken(16);
    const now = this.clock.now();
    const expiresAt = new Date(now.getTime() + LOGIN_STATE_TTL_MS);
    await this.database.sql.run(
      'INSERT INTO login_states (id, state_hash, app_id, device_id, purpose, user_id, created_at, expires_at, consumed_at) ' +
        'VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL)',
      [newId(), sha256Hex(state), claim.appId, claim.deviceId, claim.purpose, claim.userId, now, expiresAt],
    );
    return { state, expiresAt };
  }

  /** Without WECHAT_REQUIRE_STATE, a login (never a link) may come without a state. */
  missingStateAllowed(purpose: StateClaim['purpose']): boolean {
    return !this.required && purpose === 'login';
  }

  /**
   * The condition under which a state (`ls`, a login_states row) may be spent by a claim: known,
   * unused, unexpired, and issued for this purpose, device and (for linking) user; parameters:
   * state hash, now, purpose, device id, user id. A state is spent by the one code exchange that
   * names it (unique code_exchanges.state_hash); `consumed_at` is only set by releases before that.
   */
  static readonly SPENDABLE =
    'ls.state_hash = ? AND ls.consumed_at IS NULL AND ls.expires_at > ? AND ls.purpose = ? ' +
    "AND (ls.device_id IS NULL OR ls.device_id = ?) AND (ls.purpose <> 'link' OR ls.user_id = ?)";

  static readonly MAX_STATE_LENGTH = MAX_STATE_LENGTH;
}
