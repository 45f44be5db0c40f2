import { Controller, Get, Header } from '@nestjs/common';
import { Public } from './access.decorator';
import { TokenSigner } from './token-signer.service';

@Controller('.well-known')
export class JwksController {
  constructor(private readonly signer: TokenSigner) {}

  /** The public keys that verify our access tokens: current first, then those being rotated out. */
  @Public()
  @Get('jwks.json')
  @Header('Cache-Control', 'public, max-age=300')
  jwks(): { keys: object[] } {
    return this.signer.jwks();
  }
}
