import { Injectable } from '@nestjs/common';
import { Clock } from '../common/clock';
import { newId } from '../common/ids';
import { randomToken, sha256Hex } from '../common/secrets';
import { AppConfig } from '../config/app-config.service';
import { CodeExchangesRepository } from './code-exchanges.repository';

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
    private readonly repository: CodeExchangesRepository,
    private readonly clock: Clock,
    config: AppConfig,
  ) {
    this.required = config.get('wechat').requireState;
  }

  async issue(claim: StateClaim): Promise<{ state: string; expiresAt: Date }> {
    const state = randomToken(16);
    const now = this.clock.now();
    const expiresAt = new Date(now.getTime() + LOGIN_STATE_TTL_MS);
    await this.repository.insertState({
      id: newId(),
      stateHash: sha256Hex(state),
      appId: claim.appId,
      deviceId: claim.deviceId,
      purpose: claim.purpose,
      userId: claim.userId,
      createdAt: now,
      expiresAt,
    });
    return { state, expiresAt };
  }

  /** Without WECHAT_REQUIRE_STATE, a login (never a link) may come without a state. */
  missingStateAllowed(purpose: StateClaim['purpose']): boolean {
    return !this.required && purpose === 'login';
  }

  static readonly MAX_STATE_LENGTH = MAX_STATE_LENGTH;
}
