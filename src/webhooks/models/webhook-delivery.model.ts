import { Field, ID, Int, ObjectType } from '@nestjs/graphql';
import type { OutboxRow } from '../../outbox/outbox.repository';

@ObjectType({ description: 'One webhook delivery to one endpoint (docs/webhooks.md).' })
export class WebhookDelivery {
  @Field(() => ID, { description: 'the webhook-id header; stable across retries' })
  id: string;

  @Field({ description: 'e.g. "user.deleted"' })
  type: string;

  @Field({ description: 'pending | delivered | failed (gave up)' })
  status: string;

  @Field(() => Int)
  attempts: number;

  @Field(() => Int, { nullable: true })
  lastStatusCode: number | null;

  @Field(() => Date, { nullable: true, description: 'while pending: when the next try is due' })
  nextAttemptAt: Date | null;

  @Field(() => Date)
  createdAt: Date;
}

export function toWebhookDelivery(row: OutboxRow): WebhookDelivery {
  return {
    id: row.id,
    type: row.type,
    status: row.status,
    attempts: row.attempts,
    lastStatusCode: row.lastStatusCode,
    nextAttemptAt: row.status === 'pending' ? row.nextAttemptAt : null,
    createdAt: row.createdAt,
  };
}
