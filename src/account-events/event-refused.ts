import { HttpException } from '@nestjs/common';
import type { Response } from 'express';

/** Why a provider's delivery was refused; the controller answers `status` (nothing was stored). */
export class ProviderEventRefused extends Error {
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 429 | 503,
    readonly reason: string,
    readonly retryAfterSeconds?: number,
  ) {
    super(`provider event refused: ${reason}`);
  }
}

/** A refusal answers its status with the reason (never what was sent). */
export async function refusedAsHttp<T>(work: Promise<T>, res: Response): Promise<T> {
  try {
    return await work;
  } catch (error) {
    if (!(error instanceof ProviderEventRefused)) throw error;
    if (error.status === 503) res.setHeader('Retry-After', '30');
    if (error.status === 429) res.setHeader('Retry-After', String(error.retryAfterSeconds ?? 60));
    throw new HttpException({ statusCode: error.status, error: error.reason }, error.status);
  }
}
