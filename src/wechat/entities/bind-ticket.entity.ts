import { Column, Entity, PrimaryColumn } from 'typeorm';
import { DateColumn } from '../../database/date-column';

@Entity('bind_tickets')
export class BindTicketEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  @Column({ name: 'ticket_hash', type: 'varchar', length: 64 })
  ticketHash: string;

  @Column({ name: 'identity_id', type: 'varchar', length: 36 })
  identityId: string;

  @Column({ name: 'device_id', type: 'varchar', length: 128, nullable: true })
  deviceId: string | null;

  @DateColumn('created_at')
  createdAt: Date;

  @DateColumn('expires_at')
  expiresAt: Date;

  @DateColumn('consumed_at', { nullable: true })
  consumedAt: Date | null;
}
