import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, Relation } from 'typeorm';
import { UserEntity } from '../users/user.entity';
import { DateColumn } from '../database/date-column';

/**
 * One row per refresh token. The rows of one login form a family (`familyId`, the `sid` claim and
 * the id users see in mySessions); rotating writes a new row and points the old one at it.
 */
@Entity('sessions')
@Index('UQ_sessions_refresh_token_hash', ['refreshTokenHash'], { unique: true })
@Index('IDX_sessions_user_id_revoked_at', ['userId', 'revokedAt'])
@Index('IDX_sessions_family_id', ['familyId'])
export class SessionEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  @Column({ name: 'user_id', type: 'varchar', length: 36 })
  userId: string;

  @ManyToOne(() => UserEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'FK_sessions_user_id' })
  user?: Relation<UserEntity>;

  @Column({ name: 'refresh_token_hash', type: 'varchar', length: 64 })
  refreshTokenHash: string;

  @Column({ name: 'family_id', type: 'varchar', length: 36 })
  familyId: string;

  @DateColumn('login_at')
  loginAt: Date;

  @DateColumn('rotated_at', { nullable: true })
  rotatedAt: Date | null;

  @DateColumn('grace_used_at', { nullable: true })
  graceUsedAt: Date | null;

  @Column({ name: 'device_id', type: 'varchar', length: 128, nullable: true })
  deviceId: string | null;

  @Column({ type: 'varchar', length: 16, nullable: true })
  platform: string | null;

  @Column({ name: 'login_method', type: 'varchar', length: 16, nullable: true })
  loginMethod: string | null;

  @Column({ type: 'varchar', length: 45, nullable: true })
  ip: string | null;

  @Column({ name: 'user_agent', type: 'varchar', length: 512, nullable: true })
  userAgent: string | null;

  @DateColumn('created_at')
  createdAt: Date;

  @DateColumn('last_used_at')
  lastUsedAt: Date;

  @DateColumn('idle_expires_at')
  idleExpiresAt: Date;

  @DateColumn('absolute_expires_at')
  absoluteExpiresAt: Date;

  @DateColumn('revoked_at', { nullable: true })
  revokedAt: Date | null;

  @Column({ name: 'revoked_reason', type: 'varchar', length: 32, nullable: true })
  revokedReason: string | null;

  @Column({ name: 'replaced_by', type: 'varchar', length: 36, nullable: true })
  replacedBy: string | null;
}
