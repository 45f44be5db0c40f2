import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { DateColumn } from '../../database/date-column';

/**
 * One getuserphonenumber call that may have been billed: a row each, reserved (a numbered slot of
 * its app's day, 1..cap) before WeChat is asked. The unique keys keep the day under the cap and a
 * bind ticket to one call, across instances and cluster nodes. Rows of earlier releases have no day.
 */
@Entity('wechat_phone_calls')
@Index('IDX_wechat_phone_calls_app_id_created_at', ['appId', 'createdAt'])
@Index('UQ_wechat_phone_calls_app_id_day_slot', ['appId', 'day', 'slot'], { unique: true })
@Index('UQ_wechat_phone_calls_bind_ticket_id', ['bindTicketId'], { unique: true })
export class WechatPhoneCallEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  @Column({ name: 'app_id', type: 'varchar', length: 64 })
  appId: string;

  @DateColumn('created_at')
  createdAt: Date;

  /** WeChat's day (UTC+8) as days since the epoch. */
  @Column({ type: 'int', nullable: true })
  day: number | null;

  @Column({ type: 'int', nullable: true })
  slot: number | null;

  @Column({ name: 'bind_ticket_id', type: 'varchar', length: 36, nullable: true })
  bindTicketId: string | null;
}
