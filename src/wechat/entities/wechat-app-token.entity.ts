import { Column, Entity, PrimaryColumn } from 'typeorm';
import { DateColumn } from '../../database/date-column';

/** One app-level access token (`stable_token`) per WeChat app, encrypted, with a refresh lease. */
@Entity('wechat_app_tokens')
export class WechatAppTokenEntity {
  @PrimaryColumn({ name: 'app_id', type: 'varchar', length: 64 })
  appId: string;

  @Column({ name: 'token_enc', type: 'text', nullable: true })
  tokenEnc: string | null;

  @Column({ name: 'key_id', type: 'varchar', length: 32, nullable: true })
  keyId: string | null;

  @DateColumn('expires_at', { nullable: true })
  expiresAt: Date | null;

  @Column({ name: 'lease_owner', type: 'varchar', length: 64, nullable: true })
  leaseOwner: string | null;

  @DateColumn('lease_expires_at', { nullable: true })
  leaseExpiresAt: Date | null;

  @DateColumn('updated_at')
  updatedAt: Date;
}
