import { Injectable } from '@nestjs/common';
import { Database } from '../database/database.service';
import { isUniqueViolation } from '../database/database-errors';
import { WechatAppTokenEntity } from './entities/wechat-app-token.entity';

/** The `wechat_app_tokens` table (one row per app: its sealed token and the refresh lease), through TypeORM. */
@Injectable()
export class WechatAppTokensRepository {
  constructor(private readonly database: Database) {}

  find(appId: string): Promise<WechatAppTokenEntity | null> {
    return this.database.dataSource.manager.getRepository(WechatAppTokenEntity).findOne({ where: { appId } });
  }

  /**
   * The app's lease for `owner` until `until`, unless a live one is held: one conditional UPDATE, or
   * the app's first row (a racing first INSERT loses on the primary key). Whether `owner` holds it.
   */
  claimLease(appId: string, owner: string, until: Date, now: Date): Promise<boolean> {
    return this.database.transaction(async (manager) => {
      const repo = manager.getRepository(WechatAppTokenEntity);
      const result = await repo
        .createQueryBuilder()
        .update()
        .set({ leaseOwner: owner, leaseExpiresAt: until })
        .where('app_id = :appId AND (lease_expires_at IS NULL OR lease_expires_at <= :now)', { appId, now })
        .execute();
      if ((result.affected ?? 0) === 1) return true;
      if (await repo.exists({ where: { appId } })) return false;
      try {
        await repo.insert({
          appId,
          tokenEnc: null,
          keyId: null,
          expiresAt: null,
          leaseOwner: owner,
          leaseExpiresAt: until,
          updatedAt: now,
        });
        return true;
      } catch (error) {
        if (isUniqueViolation(error)) return false;
        throw error;
      }
    });
  }

  /** The lease let go, if `owner` still holds it. */
  async releaseLease(appId: string, owner: string): Promise<void> {
    await this.database.transaction((manager) =>
      manager
        .getRepository(WechatAppTokenEntity)
        .update({ appId, leaseOwner: owner }, { leaseOwner: null, leaseExpiresAt: null }),
    );
  }

  /** A new sealed token, and the lease let go with it. */
  async storeToken(
    appId: string,
    token: { tokenEnc: string; keyId: string; expiresAt: Date },
    now: Date,
  ): Promise<void> {
    await this.database.transaction((manager) =>
      manager
        .getRepository(WechatAppTokenEntity)
        .update({ appId }, { ...token, leaseOwner: null, leaseExpiresAt: null, updatedAt: now }),
    );
  }
}
