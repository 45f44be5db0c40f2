import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { DateColumn } from '../database/date-column';

@Entity('audit_events')
@Index('IDX_audit_events_created_at_id', ['createdAt', 'id'])
@Index('IDX_audit_events_subject_user_id_created_at', ['subjectUserId', 'createdAt'])
@Index('IDX_audit_events_action_created_at', ['action', 'createdAt'])
export class AuditEventEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  @Column({ type: 'varchar', length: 64 })
  action: string;

  @Column({ name: 'actor_user_id', type: 'varchar', length: 36, nullable: true })
  actorUserId: string | null;

  @Column({ name: 'subject_user_id', type: 'varchar', length: 36, nullable: true })
  subjectUserId: string | null;

  @Column({ type: 'varchar', length: 45, nullable: true })
  ip: string | null;

  @Column({ name: 'request_id', type: 'varchar', length: 64, nullable: true })
  requestId: string | null;

  /** JSON; only masked values (never a secret, token, code or full phone number). */
  @Column({ type: 'text', nullable: true })
  details: string | null;

  @DateColumn('created_at')
  createdAt: Date;
}
