import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { DateColumn } from '../database/date-column';

/** One hit of a sliding-window counter (DatabaseHitCounter). */
@Entity('rate_limit_hits')
@Index('IDX_rate_limit_hits_bucket_created_at', ['bucket', 'createdAt'])
@Index('IDX_rate_limit_hits_expires_at', ['expiresAt'])
export class RateLimitHitEntity {
  /** Random for most buckets; `<bucket hash>:<seq>` for exact ones, so that racing takes collide. */
  @PrimaryColumn({ type: 'varchar', length: 64 })
  id: string;

  @Column({ type: 'varchar', length: 191 })
  bucket: string;

  /** The hit's number within an exact bucket; null elsewhere. */
  @Column({ type: 'int', nullable: true })
  seq: number | null;

  @DateColumn('created_at')
  createdAt: Date;

  /** When housekeeping may delete it: the bucket's longest window after the hit. */
  @DateColumn('expires_at')
  expiresAt: Date;
}
