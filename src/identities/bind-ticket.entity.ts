import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, Relation } from 'typeorm';
import { DateColumn } from '../database/date-column';
import { IdentityEntity } from './identity.entity';

@Entity('bind_tickets')
@Index('UQ_bind_tickets_ticket_hash', ['ticketHash'], { unique: true })
@Index('IDX_bind_tickets_expires_at', ['expiresAt'])
export class BindTicketEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  @Column({ name: 'ticket_hash', type: 'varchar', length: 64 })
  ticketHash: string;

  @Column({ name: 'identity_id', type: 'varchar', length: 36 })
  identityId: string;

  @ManyToOne(() => IdentityEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'identity_id', foreignKeyConstraintName: 'FK_bind_tickets_identity_id' })
  identity?: Relation<IdentityEntity>;

  @Column({ name: 'device_id', type: 'varchar', length: 128, nullable: true })
  deviceId: string | null;

  @DateColumn('created_at')
  createdAt: Date;

  @DateColumn('expires_at')
  expiresAt: Date;

  @DateColumn('consumed_at', { nullable: true })
  consumedAt: Date | null;
}
