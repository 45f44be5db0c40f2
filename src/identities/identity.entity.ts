import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, Relation } from 'typeorm';
import { DateColumn } from '../database/date-column';
import { UserEntity } from '../users/user.entity';
import type { IdentityProviderName, WechatChannelName } from './verified-identity';

/**
 * One account at one provider: unique (provider, app_id, subject). subject is the WeChat openid,
 * the Apple `sub` or the Huawei openID; unionid ties one person's accounts across apps of a provider.
 */
@Entity('identities')
@Index('UQ_identities_provider_app_id_subject', ['provider', 'appId', 'subject'], { unique: true })
@Index('UQ_identities_user_id_provider_app_id', ['userId', 'provider', 'appId'], { unique: true })
@Index('IDX_identities_provider_unionid', ['provider', 'unionid'])
export class IdentityEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  @Column({ type: 'varchar', length: 16 })
  provider: IdentityProviderName;

  @Column({ name: 'app_id', type: 'varchar', length: 128 })
  appId: string;

  @Column({ type: 'varchar', length: 255 })
  subject: string;

  @Column({ type: 'varchar', length: 255, nullable: true })
  unionid: string | null;

  /** WeChat only: fixed by the configured app the identity came through. */
  @Column({ type: 'varchar', length: 24, nullable: true })
  channel: WechatChannelName | null;

  @Column({ name: 'user_id', type: 'varchar', length: 36, nullable: true })
  userId: string | null;

  @ManyToOne(() => UserEntity, { onDelete: 'SET NULL' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'FK_identities_user_id' })
  user?: Relation<UserEntity>;

  @Column({ type: 'varchar', length: 255, nullable: true })
  nickname: string | null;

  @Column({ name: 'avatar_url', type: 'varchar', length: 1024, nullable: true })
  avatarUrl: string | null;

  @Column({ type: 'varchar', length: 255, nullable: true })
  email: string | null;

  @Column({ type: 'varchar', length: 16, nullable: true })
  language: string | null;

  /** Encrypted (TokenCipher): a mini program's session_key, Apple's refresh token. */
  @Column({ name: 'secret_enc', type: 'text', nullable: true })
  secretEnc: string | null;

  @Column({ name: 'secret_key_id', type: 'varchar', length: 32, nullable: true })
  secretKeyId: string | null;

  @DateColumn('profile_updated_at', { nullable: true })
  profileUpdatedAt: Date | null;

  @DateColumn('created_at')
  createdAt: Date;

  @DateColumn('updated_at')
  updatedAt: Date;
}
