import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { DateColumn } from '../database/date-column';

export type UserStatusValue = 'active' | 'banned' | 'deleted';

@Entity('users')
@Index('UQ_users_phone', ['phone'], { unique: true })
@Index('IDX_users_created_at_id', ['createdAt', 'id'])
@Index('IDX_users_status', ['status'])
export class UserEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  /** E.164; null once the account is deleted (the number may register afresh). */
  @Column({ type: 'varchar', length: 20, nullable: true })
  phone: string | null;

  @Column({ type: 'varchar', length: 255, nullable: true })
  nickname: string | null;

  @Column({ name: 'avatar_url', type: 'varchar', length: 1024, nullable: true })
  avatarUrl: string | null;

  @Column({ type: 'varchar', length: 16, default: 'active' })
  status: UserStatusValue;

  // Comma-separated in a varchar, as the migration made it.
  @Column({
    type: 'varchar',
    length: 255,
    default: '',
    transformer: {
      // TypeORM also passes raw strings and find operators through here; only arrays are ours.
      to: (roles: unknown) => (Array.isArray(roles) ? roles.join(',') : roles),
      from: (value: unknown) => (typeof value === 'string' ? value.split(',').filter(Boolean) : []),
    },
  })
  roles: string[];

  @DateColumn('created_at')
  createdAt: Date;

  @DateColumn('updated_at')
  updatedAt: Date;

  @DateColumn('last_login_at', { nullable: true })
  lastLoginAt: Date | null;

  @DateColumn('deleted_at', { nullable: true })
  deletedAt: Date | null;

  /** Set when this user was folded into another (one person, two accounts): that user's id. */
  @Column({ name: 'merged_into', type: 'varchar', length: 36, nullable: true })
  mergedInto: string | null;
}
