import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { DateColumn } from '../database/date-column';

/**
 * A unionid that arrived late for user A while user B already held it, and both had a phone or
 * another identity: both users are kept, logins go to B, and an admin decides.
 */
@Entity('identity_conflicts')
@Index('IDX_identity_conflicts_resolved_at_created_at', ['resolvedAt', 'createdAt'])
export class IdentityConflictEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  @Column({ type: 'varchar', length: 16 })
  provider: string;

  @Column({ type: 'varchar', length: 255 })
  unionid: string;

  /** B: the user who already held the unionid (logins go here). */
  @Column({ name: 'holder_user_id', type: 'varchar', length: 36 })
  holderUserId: string;

  /** A: the user whose identity brought the unionid. */
  @Column({ name: 'other_user_id', type: 'varchar', length: 36 })
  otherUserId: string;

  @DateColumn('created_at')
  createdAt: Date;

  @DateColumn('resolved_at', { nullable: true })
  resolvedAt: Date | null;

  @Column({ name: 'kept_user_id', type: 'varchar', length: 36, nullable: true })
  keptUserId: string | null;

  @Column({ name: 'resolved_by', type: 'varchar', length: 36, nullable: true })
  resolvedBy: string | null;
}
