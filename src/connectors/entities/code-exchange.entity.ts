import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, Relation } from 'typeorm';
import { IdentityEntity } from '../../identities/identity.entity';
import { DateColumn } from '../../database/date-column';

export type CodeExchangeStatus = 'pending' | 'done' | 'failed' | 'replayed';

/** The idempotency record of one WeChat code: unique (app_id, code_hash). */
@Entity('code_exchanges')
@Index('UQ_code_exchanges_app_id_code_hash', ['appId', 'codeHash'], { unique: true })
@Index('IDX_code_exchanges_expires_at', ['expiresAt'])
@Index('UQ_code_exchanges_state_hash', ['stateHash'], { unique: true })
export class CodeExchangeEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  @Column({ name: 'app_id', type: 'varchar', length: 64 })
  appId: string;

  @Column({ name: 'code_hash', type: 'varchar', length: 64 })
  codeHash: string;

  @Column({ name: 'state_hash', type: 'varchar', length: 64, nullable: true })
  stateHash: string | null;

  @Column({ name: 'device_id', type: 'varchar', length: 128, nullable: true })
  deviceId: string | null;

  @Column({ type: 'varchar', length: 16 })
  status: CodeExchangeStatus;

  /** `session` (bound: logged in) or `bind` (unbound: a bind ticket was issued). */
  @Column({ type: 'varchar', length: 32, nullable: true })
  outcome: string | null;

  @Column({ name: 'error_code', type: 'varchar', length: 32, nullable: true })
  errorCode: string | null;

  @Column({ name: 'identity_id', type: 'varchar', length: 36, nullable: true })
  identityId: string | null;

  @ManyToOne(() => IdentityEntity, { onDelete: 'SET NULL' })
  @JoinColumn({ name: 'identity_id', foreignKeyConstraintName: 'FK_code_exchanges_identity_id' })
  identity?: Relation<IdentityEntity>;

  @Column({ name: 'user_id', type: 'varchar', length: 36, nullable: true })
  userId: string | null;

  /** The session family it produced, revoked if the code is replayed from another device. */
  @Column({ name: 'session_id', type: 'varchar', length: 36, nullable: true })
  sessionId: string | null;

  /** The exchange's tokens, encrypted, when a later step failed: a retry of the code reuses them. */
  @Column({ name: 'result_enc', type: 'text', nullable: true })
  resultEnc: string | null;

  @Column({ name: 'result_key_id', type: 'varchar', length: 32, nullable: true })
  resultKeyId: string | null;

  @DateColumn('created_at')
  createdAt: Date;

  @DateColumn('updated_at')
  updatedAt: Date;

  @DateColumn('expires_at')
  expiresAt: Date;
}
