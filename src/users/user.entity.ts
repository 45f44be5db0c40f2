import { Column, Entity, PrimaryColumn } from 'typeorm';
import { DateColumn } from '../database/date-column';

export type UserStatusValue = 'active' | 'banned' | 'deleted';

@Entity('users')
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

  @Column({ type: 'simple-array', default: '' })
  roles: string[];

  @DateColumn('created_at')
  createdAt: Date;

  @DateColumn('updated_at')
  updatedAt: Date;

  @DateColumn('last_login_at', { nullable: true })
  lastLoginAt: Date | null;

  @DateColumn('deleted_at', { nullable: true })
  deletedAt: Date | null;
}
