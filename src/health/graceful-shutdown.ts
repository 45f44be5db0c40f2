import { INestApplication, Logger } from '@nestjs/common';
import type { Server } from 'node:http';
import { ReadinessState } from './readiness.service';

/** Past the drain, requests still running after this long are cut (under Kubernetes' 30 s grace). */
const IN_FLIGHT_LIMIT_MS = 20_000;

export interface ShutdownOptions {
  /** How long readiness stays red while the listener still serves, so load balancers stop sending. */
  drainMs: number;
  inFlightLimitMs?: number;
}

/**
 * SIGTERM in order: readiness red for the drain delay (the listener still serves, every response
 * says `Connection: close`); then the listener closes, idle keep-alive connections are closed and
 * requests in flight finish; then the rest of Nest's shutdown (scheduler, leases, pools).
 * Resolves with the process exit code.
 */
export async function gracefulShutdown(app: INestApplication, options: ShutdownOptions): Promise<number> {
  const logger = new Logger('Shutdown');
  const server = app.getHttpServer() as Server;
  app.get(ReadinessState).startDraining();
  logger.log(`draining: readiness is red for ${options.drainMs} ms`);
  await sleep(options.drainMs);

  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  const limit = options.inFlightLimitMs ?? IN_FLIGHT_LIMIT_MS;
  const finished = await Promise.race([closed.then(() => true), sleep(limit).then(() => false)]);
  if (!finished) {
    logger.warn(`requests still running after ${limit} ms are cut`);
    server.closeAllConnections();
  }
  try {
    await app.close();
    logger.log('stopped');
    return 0;
  } catch (error) {
    logger.error(`shutdown failed: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}

/** Runs gracefulShutdown once on SIGTERM or SIGINT, then exits with its code. */
export function installGracefulShutdown(app: INestApplication, options: ShutdownOptions): void {
  let started = false;
  const onSignal = (): void => {
    if (started) return;
    started = true;
    void gracefulShutdown(app, options).then((code) => process.exit(code));
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
