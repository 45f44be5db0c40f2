import { Args, Mutation, Resolver } from '@nestjs/graphql';
import { Meta, RequestMeta } from '../common/request-meta';
import { StartQrLoginArgs } from '../qr-login/dto/qr-login.args';
import { Public } from '../sessions/access.decorator';
import { FollowLogin } from './follow-login.model';
import { FollowLoginService } from './follow-login.service';

@Resolver()
export class FollowLoginResolver {
  constructor(private readonly follow: FollowLoginService) {}

  @Public()
  @Mutation(() => FollowLogin, {
    description:
      "The web page: WeChat's QR code of the official account; scanning it (and following) logs the person in. Status through qrLoginStatus.",
  })
  startWechatFollowLogin(@Args() { deviceId }: StartQrLoginArgs, @Meta() meta: RequestMeta): Promise<FollowLogin> {
    return this.follow.start(deviceId ?? null, meta);
  }
}
