import { Controller, HttpCode, Inject, NotFoundException, Optional, Post } from '@nestjs/common';
import { Public } from '../sessions/access.decorator';
import { FakeCaptchaServer } from './fake-captcha/fake-captcha';

/** Sandbox only: a person solving the captcha; the token buys one send over an SMS budget. */
@Controller('sandbox/captcha')
export class FakeCaptchaController {
  constructor(@Optional() @Inject(FakeCaptchaServer) private readonly fake: FakeCaptchaServer | null) {}

  @Public()
  @Post('solve')
  @HttpCode(200)
  solve(): { captchaToken: string } {
    // Only when the sandbox's own captcha is the configured one.
    if (!this.fake) throw new NotFoundException();
    return { captchaToken: this.fake.solve() };
  }
}
