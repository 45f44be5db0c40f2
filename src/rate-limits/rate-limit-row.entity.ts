import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** One exact counter (RowHitCounter): a bucket's recent hit times, written with optimistic versions. */
@Entity('rate_limit_rows')
@Index('IDX_rate_limit_rows_expires_ms', ['expiresMs'])
export class RateLimitRowEntity {
  /** SHA-256 of the bucket (which names a phone only by its hash anyway). */
  @PrimaryColumn({ name: 'bucket_key', type: 'varchar', length: 64 })
  bucketKey: string;

  /** Hit times in ms, base 36, comma-separated, oldest first; at most MAX_KEPT_HITS. */
  @Column({ type: 'text' })
  hits: string;

  @Column({ type: 'int' })
  version: number;

  /** The last hit plus the bucket's longest window: deleted after. */
  @Column({ name: 'expires_ms', type: 'bigint' })
  expiresMs: string;
}
