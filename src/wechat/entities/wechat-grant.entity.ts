import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, Relation } from 'typeorm';
import { IdentityEntity } from '../../identities/identity.entity';
import { DateColumn } from '../../database/date-column';

export type GrantStatusValue = 'active' | 'reauth_required' | 'revoked';

/** The WeChat tokens of one identity, encrypted (TokenCipher), plus the refresh job's lease columns. */
@Entity('wechat_grants')
@Index('UQ_wechat_grants_identity_id', ['identityId'], { unique: true })
@Index('IDX_wechat_grants_status_access_expires_at', ['status', 'accessExpiresAt'])
@Index('IDX_wechat_grants_lease_expires_at', ['leaseExpiresAt'])
export class WechatGrantEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  @Column({ name: 'identity_id', type: 'varchar', length: 36 })
  identityId: string;

  @ManyToOne(() => IdentityEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'identity_id', foreignKeyConstraintName: 'FK_wechat_grants_identity_id' })
  identity?: Relation<IdentityEntity>;

  @Column({ name: 'access_token_enc', type: 'text', nullable: true })
  accessTokenEnc: string | null;

  @Column({ name: 'refresh_token_enc', type: 'text', nullable: true })
  refreshTokenEnc: string | null;

  @Column({ name: 'key_id', type: 'varchar', length: 32 })
  keyId: string;

  @Column({ type: 'varchar', length: 255, nullable: true })
  scope: string | null;

  @DateColumn('access_expires_at')
  accessExpiresAt: Date;

  @DateColumn('refresh_expires_at')
  refreshExpiresAt: Date;

  @Column({ type: 'varchar', length: 24, default: 'active' })
  status: GrantStatusValue;

  /** `auto`: the refresh job keeps it alive (app, official account); `off`: it is left to expire (website). */
  @Column({ name: 'refresh_mode', type: 'varchar', length: 16, default: 'auto' })
  refreshMode: 'auto' | 'off';

  @Column({ name: 'lease_owner', type: 'varchar', length: 64, nullable: true })
  leaseOwner: string | null;

  @DateColumn('lease_expires_at', { nullable: true })
  leaseExpiresAt: Date | null;

  @Column({ name: 'failure_count', type: 'int', default: 0 })
  failureCount: number;

  @DateColumn('next_attempt_at', { nullable: true })
  nextAttemptAt: Date | null;

  @Column({ name: 'last_error', type: 'varchar', length: 64, nullable: true })
  lastError: string | null;

  @DateColumn('last_refreshed_at', { nullable: true })
  lastRefreshedAt: Date | null;

  @DateColumn('created_at')
  createdAt: Date;

  @DateColumn('updated_at')
  updatedAt: Date;
}
