import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { Clock } from '../common/clock';
import { newId } from '../common/ids';
import { randomToken, sha256Hex } from '../common/secrets';
import { AppConfig } from '../config/app-config.service';
import { Database } from '../database/database.service';
import { LoginStateEntity } from './entities/login-state.entity';

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
    await this.database.transaction((manager) =>
      manager.getRepository(LoginStateEntity).insert({
        id: newId(),
        stateHash: sha256Hex(state),
        appId: claim.appId,
        deviceId: claim.deviceId,
        purpose: claim.purpose,
        userId: claim.userId,
        createdAt: now,
        expiresAt,
        consumedAt: null,
      }),
    );
    return { state, expiresAt };
  }

  /** The app a state was issued for (read only; consume checks everything else). */
  async appOf(state: string): Promise<string | null> {
    if (state.length > MAX_STATE_LENGTH) return null;
    const row = await this.database.dataSource.manager
      .getRepository(LoginStateEntity)
      .findOne({ where: { stateHash: sha256Hex(state) }, select: { id: true, appId: true } });
    return row?.appId ?? null;
  }

  /**
   * Consumes the state inside the caller's transaction if it is known, unused, unexpired and was
   * issued for this app, device, purpose and user. Missing, unknown, expired, used and foreign
   * states all answer false. Without WECHAT_REQUIRE_STATE a missing state passes.
   */
  async consume(manager: EntityManager, state: string | null | undefined, claim: StateClaim): Promise<boolean> {
    if (state === undefined || state === null || state === '') return !this.required && claim.purpose === 'login';
    if (state.length > MAX_STATE_LENGTH) return false;
    const now = this.clock.now();
    const row = await manager.getRepository(LoginStateEntity).findOne({ where: { stateHash: sha256Hex(state) } });
    if (!row || row.consumedAt || row.expiresAt <= now) return false;
    if (row.appId !== claim.appId || row.purpose !== claim.purpose) return false;
    if (row.deviceId !== null && row.deviceId !== claim.deviceId) return false;
    if (row.purpose === 'link' && row.userId !== claim.userId) return false;
    const result = await manager
      .createQueryBuilder()
      .update(LoginStateEntity)
      .set({ consumedAt: now })
      .where('id = :id AND consumed_at IS NULL', { id: row.id })
      .execute();
    return (result.affected ?? 0) === 1;
  }
}
