import { Injectable } from '@nestjs/common';

/**
 * How many HTTP requests this instance is serving right now (counted by the request middleware in
 * bootstrap.ts). Background work asks it whether requests are waiting: event-loop delay alone stays
 * low while logins queue on a saturated CPU, the number in flight does not.
 */
@Injectable()
export class RequestLoad {
  private count = 0;

  begin(): void {
    this.count++;
  }

  end(): void {
    this.count--;
  }

  get inFlight(): number {
    return this.count;
  }
}
