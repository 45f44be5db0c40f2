import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { DateColumn } from '../../database/date-column';

@Entity('login_states')
@Index('UQ_login_states_state_hash', ['stateHash'], { unique: true })
@Index('IDX_login_states_expires_at', ['expiresAt'])
export class LoginStateEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  @Column({ name: 'state_hash', type: 'varchar', length: 64 })
  stateHash: string;

  @Column({ name: 'app_id', type: 'varchar', length: 64 })
  appId: string;

  @Column({ name: 'device_id', type: 'varchar', length: 128, nullable: true })
  deviceId: string | null;

  /** `login`, or `link` when a signed-in user asked for it (then user_id is set). */
  @Column({ type: 'varchar', length: 16 })
  purpose: string;

  @Column({ name: 'user_id', type: 'varchar', length: 36, nullable: true })
  userId: string | null;

  @DateColumn('created_at')
  createdAt: Date;

  @DateColumn('expires_at')
  expiresAt: Date;

  @DateColumn('consumed_at', { nullable: true })
  consumedAt: Date | null;
}
