import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { DateColumn } from '../database/date-column';

export type QrLoginKind = 'app' | 'wechat_follow';
/** As stored; EXPIRED is derived from expires_at (QrLoginService). */
export type StoredQrStatus = 'PENDING' | 'SCANNED' | 'CONFIRMED' | 'CANCELLED';

/**
 * One QR login (src/database/migrations/1764500000000-qr-logins.ts). Never a GraphQL type: it holds
 * the hashes of bearer secrets and an encrypted bind ticket.
 */
@Entity('qr_logins')
@Index('UQ_qr_logins_app_id_code_hash', ['appId', 'codeHash'], { unique: true })
@Index('IDX_qr_logins_expires_at', ['expiresAt'])
export class QrLoginEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  @Column({ type: 'varchar', length: 16 })
  kind: QrLoginKind;

  /** The follow kind's official account; '' for the app kind. */
  @Column({ name: 'app_id', type: 'varchar', length: 128 })
  appId: string;

  /** sha256 of the QR content (app kind) or of the WeChat scene (follow kind). */
  @Column({ name: 'code_hash', type: 'varchar', length: 64 })
  codeHash: string;

  @Column({ name: 'poll_token_hash', type: 'varchar', length: 64 })
  pollTokenHash: string;

  @Column({ type: 'varchar', length: 16 })
  status: StoredQrStatus;

  /** The signed-in user whose app scanned it (app kind). */
  @Column({ name: 'scanned_by', type: 'varchar', length: 36, nullable: true })
  scannedBy: string | null;

  /** Whom the page signs in as, once CONFIRMED (unless a bind ticket waits instead). */
  @Column({ name: 'user_id', type: 'varchar', length: 36, nullable: true })
  userId: string | null;

  /** The session's login method, fixed at confirmation. */
  @Column({ name: 'login_method', type: 'varchar', length: 16, nullable: true })
  loginMethod: string | null;

  @Column({ name: 'bind_ticket_enc', type: 'text', nullable: true })
  bindTicketEnc: string | null;

  @Column({ name: 'bind_ticket_key_id', type: 'varchar', length: 32, nullable: true })
  bindTicketKeyId: string | null;

  @Column({ name: 'device_id', type: 'varchar', length: 128, nullable: true })
  deviceId: string | null;

  @Column({ type: 'varchar', length: 45, nullable: true })
  ip: string | null;

  @Column({ name: 'user_agent', type: 'varchar', length: 512, nullable: true })
  userAgent: string | null;

  @DateColumn('created_at')
  createdAt: Date;

  @DateColumn('expires_at')
  expiresAt: Date;

  @DateColumn('scanned_at', { nullable: true })
  scannedAt: Date | null;

  /** When it was confirmed or cancelled. */
  @DateColumn('decided_at', { nullable: true })
  decidedAt: Date | null;

  /** When the page was handed the session or the bind ticket (once). */
  @DateColumn('collected_at', { nullable: true })
  collectedAt: Date | null;
}
