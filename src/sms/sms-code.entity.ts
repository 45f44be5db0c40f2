import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { DateColumn } from '../database/date-column';

export type SmsPurposeValue = 'LOGIN' | 'BIND_PHONE' | 'DELETE_ACCOUNT';

@Entity('sms_codes')
@Index('IDX_sms_codes_phone_created_at', ['phone', 'createdAt'])
@Index('IDX_sms_codes_requester_ip_created_at', ['requesterIp', 'createdAt'])
@Index('IDX_sms_codes_created_at', ['createdAt'])
export class SmsCodeEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  @Column({ type: 'varchar', length: 20 })
  phone: string;

  @Column({ type: 'varchar', length: 16 })
  purpose: SmsPurposeValue;

  /** SHA-256 of phone, purpose and code: the code itself is never stored. */
  @Column({ name: 'code_hash', type: 'varchar', length: 64 })
  codeHash: string;

  /** Wrong tries from the source that asked for the code (its device, else its IP). */
  @Column({ type: 'int', default: 0 })
  attempts: number;

  /** Wrong tries from every other source. */
  @Column({ name: 'foreign_attempts', type: 'int', default: 0 })
  foreignAttempts: number;

  @Column({ name: 'requester_ip', type: 'varchar', length: 45, nullable: true })
  requesterIp: string | null;

  /** SHA-256 of the deviceId that asked for the code, when it sent one. */
  @Column({ name: 'requester_device', type: 'varchar', length: 64, nullable: true })
  requesterDevice: string | null;

  @Column({ name: 'user_id', type: 'varchar', length: 36, nullable: true })
  userId: string | null;

  @Column({ name: 'bind_ticket_hash', type: 'varchar', length: 64, nullable: true })
  bindTicketHash: string | null;

  @DateColumn('created_at')
  createdAt: Date;

  @DateColumn('expires_at')
  expiresAt: Date;

  @DateColumn('consumed_at', { nullable: true })
  consumedAt: Date | null;

  @DateColumn('revoked_at', { nullable: true })
  revokedAt: Date | null;
}
