import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { DateColumn } from '../../database/date-column';

/** One billed getuserphonenumber success: a row each, counted per app per day (no hot counter row). */
@Entity('wechat_phone_calls')
@Index('IDX_wechat_phone_calls_app_id_created_at', ['appId', 'createdAt'])
export class WechatPhoneCallEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  @Column({ name: 'app_id', type: 'varchar', length: 64 })
  appId: string;

  @DateColumn('created_at')
  createdAt: Date;
}
