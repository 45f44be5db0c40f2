import { Args, ArgsType, Field, ID, Int, Mutation, Query, Resolver } from '@nestjs/graphql';
import { IsInt, IsOptional, IsString, MaxLength } from 'class-validator';
import { Meta, RequestMeta } from '../common/request-meta';
import { Roles } from '../sessions/access.decorator';
import { CurrentCaller } from '../sessions/current-caller.decorator';
import type { AuthenticatedCaller } from '../sessions/sessions.service';
import { ADMIN_ROLE } from '../users/user-roles';
import { WebhookDelivery } from './models/webhook-delivery.model';
import { WebhooksService } from './webhooks.service';

@ArgsType()
class DeliveriesArgs {
  @Field(() => Int, { nullable: true, defaultValue: 20 })
  @IsOptional()
  @IsInt()
  first?: number | null;

  @Field(() => String, { nullable: true, description: 'pending | delivered | failed' })
  @IsOptional()
  @IsString()
  @MaxLength(16)
  status?: string | null;
}

@ArgsType()
class DeliveryIdArgs {
  @Field(() => ID)
  @IsString()
  @MaxLength(36)
  id: string;
}

/** Admins only; WEBHOOK_NOT_CONFIGURED on a server without WEBHOOK_URL. */
@Roles(ADMIN_ROLE)
@Resolver()
export class WebhooksResolver {
  constructor(private readonly webhooks: WebhooksService) {}

  @Query(() => [WebhookDelivery])
  adminWebhookDeliveries(@Args() { first, status }: DeliveriesArgs): Promise<WebhookDelivery[]> {
    return this.webhooks.deliveries(first, status);
  }

  @Mutation(() => WebhookDelivery, { description: 'A failed or delivered delivery goes out again, same id.' })
  adminRedeliverWebhook(
    @Args() { id }: DeliveryIdArgs,
    @CurrentCaller() caller: AuthenticatedCaller,
    @Meta() meta: RequestMeta,
  ): Promise<WebhookDelivery> {
    return this.webhooks.redeliver(id, { userId: caller.userId, ip: meta.ip });
  }
}
