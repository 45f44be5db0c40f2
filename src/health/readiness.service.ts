import { BeforeApplicationShutdown, Injectable } from '@nestjs/common';

/** Readiness turns red the moment shutdown begins, so the load balancer stops sending traffic. */
@Injectable()
export class ReadinessState implements BeforeApplicationShutdown {
  private draining = false;

  get shuttingDown(): boolean {
    return this.draining;
  }

  /** The first step of a graceful shutdown (SIGTERM), before anything closes. */
  startDraining(): void {
    this.draining = true;
  }

  beforeApplicationShutdown(): void {
    this.draining = true;
  }
}
