import { Controller, Get, Header, HttpCode, HttpException, Param, Post, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { metaOf } from '../../common/request-meta';
import { ProviderEventInbox } from '../../provider-events/provider-event-inbox.service';
import { Public } from '../../sessions/access.decorator';
import { WechatEventReceiver, WechatPushRefused } from './wechat-event-receiver.service';

/** WeChat's message server URL, one per app: plain HTTP, called by WeChat, outside GraphQL. */
@Controller('providers/wechat/events')
export class WechatEventsController {
  constructor(
    private readonly receiver: WechatEventReceiver,
    private readonly inbox: ProviderEventInbox,
  ) {}

  @Public()
  @Get(':appId')
  @Header('Content-Type', 'text/plain; charset=utf-8')
  @Header('Cache-Control', 'no-store')
  handshake(
    @Param('appId') appId: string,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<string> {
    return refusedAsHttp(this.receiver.handshake(appId, req.query, metaOf(req).ip), res);
  }

  /** `success` once stored; the event is applied after the answer has gone (WeChat waits 5 s at most). */
  @Public()
  @Post(':appId')
  @HttpCode(200)
  @Header('Content-Type', 'text/plain; charset=utf-8')
  async receive(
    @Param('appId') appId: string,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<string> {
    const { id, stored } = await refusedAsHttp(
      this.receiver.receive(appId, req.query, req.body as unknown, metaOf(req).ip),
      res,
    );
    if (stored) res.once('finish', () => this.inbox.applySoon(id));
    return 'success';
  }
}

/** A refusal answers its status with the reason (never what was sent); nothing was stored. */
async function refusedAsHttp<T>(work: Promise<T>, res: Response): Promise<T> {
  try {
    return await work;
  } catch (error) {
    if (!(error instanceof WechatPushRefused)) throw error;
    if (error.retryAfterSeconds) res.setHeader('Retry-After', String(error.retryAfterSeconds));
    throw new HttpException({ statusCode: error.status, error: error.reason }, error.status);
  }
}
