import { BadRequestException, Body, Controller, HttpCode, Post } from '@nestjs/common';
import { Clock } from '../common/clock';
import { Public } from '../sessions/access.decorator';
import { FakeWechatServer } from './fake-wechat/fake-wechat';

/** Sandbox only: moves the service's clock and the fake WeChat's together (expiry, refresh job). */
@Controller('sandbox')
export class SandboxClockController {
  constructor(
    private readonly clock: Clock,
    private readonly fake: FakeWechatServer,
  ) {}

  @Public()
  @Post('clock')
  @HttpCode(200)
  advance(@Body() body: { advanceSeconds?: unknown }): { now: string; wechatNow: string } {
    const seconds = body?.advanceSeconds;
    if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds < 0 || seconds > 400 * 24 * 3600) {
      throw new BadRequestException('advanceSeconds: a number of seconds from 0 to 400 days');
    }
    const now = this.clock.advance(seconds);
    const wechatNow = this.fake.advanceClock(seconds);
    return { now: now.toISOString(), wechatNow: new Date(wechatNow).toISOString() };
  }
}
