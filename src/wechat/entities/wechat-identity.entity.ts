import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, Relation } from 'typeorm';
import { UserEntity } from '../../users/user.entity';
import { DateColumn } from '../../database/date-column';

/** One WeChat person as seen by one app: unique (app_id, openid); unionid ties the apps of one person. */
@Entity('wechat_identities')
@Index('UQ_wechat_identities_app_id_openid', ['appId', 'openid'], { unique: true })
@Index('UQ_wechat_identities_user_id_app_id', ['userId', 'appId'], { unique: true })
@Index('IDX_wechat_identities_unionid', ['unionid'])
export class WechatIdentityEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  @Column({ name: 'app_id', type: 'varchar', length: 64 })
  appId: string;

  @Column({ type: 'varchar', length: 128 })
  openid: string;

  @Column({ type: 'varchar', length: 128, nullable: true })
  unionid: string | null;

  @Column({ name: 'user_id', type: 'varchar', length: 36, nullable: true })
  userId: string | null;

  @ManyToOne(() => UserEntity, { onDelete: 'SET NULL' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'FK_wechat_identities_user_id' })
  user?: Relation<UserEntity>;

  @Column({ type: 'varchar', length: 255, nullable: true })
  nickname: string | null;

  @Column({ name: 'avatar_url', type: 'varchar', length: 1024, nullable: true })
  avatarUrl: string | null;

  @Column({ type: 'varchar', length: 16, nullable: true })
  language: string | null;

  @DateColumn('profile_updated_at', { nullable: true })
  profileUpdatedAt: Date | null;

  @DateColumn('created_at')
  createdAt: Date;

  @DateColumn('updated_at')
  updatedAt: Date;
}
