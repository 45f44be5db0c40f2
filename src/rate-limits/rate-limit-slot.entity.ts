import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * One instance's hits of one shared counter in one time slot (FleetCounter). Only its own instance
 * writes a row, so instances on different cluster nodes never write the same one.
 */
@Entity('rate_limit_slots')
@Index('IDX_rate_limit_slots_updated_ms', ['updatedMs'])
@Index('IDX_rate_limit_slots_expires_ms', ['expiresMs'])
export class RateLimitSlotEntity {
  /** SHA-256 (40 hex) of the bucket. */
  @PrimaryColumn({ name: 'key_hash', type: 'varchar', length: 40 })
  keyHash: string;

  /** The rule's window: one bucket counted over a minute and an hour is two counters. */
  @PrimaryColumn({ name: 'window_s', type: 'int' })
  windowS: number;

  /** Start of the slot (1/60 of the window), ms since the epoch. */
  @PrimaryColumn({ name: 'slot_ms', type: 'bigint' })
  slotMs: string;

  @PrimaryColumn({ name: 'instance_id', type: 'varchar', length: 36 })
  instanceId: string;

  @Column({ type: 'int' })
  hits: number;

  /** When the instance last wrote it (its clock): others read what changed lately. */
  @Column({ name: 'updated_ms', type: 'bigint' })
  updatedMs: string;

  /** When the slot has left its window: deleted after. */
  @Column({ name: 'expires_ms', type: 'bigint' })
  expiresMs: string;
}
