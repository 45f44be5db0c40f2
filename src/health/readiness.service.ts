import { BeforeApplicationShutdown, Injectable } from '@nestjs/common';

/** Readiness turns red the moment shutdown begins, so the load balancer stops sending traffic. */
@Injectable()
export class ReadinessState implements BeforeApplicationShutdown {
  private draining = false;

  get shuttingDown(): boolean {
    return this.draining;
  }

  beforeApplicationShutdown(): void {
    this.draining = true;
  }
}
