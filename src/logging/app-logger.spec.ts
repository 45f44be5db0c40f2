import { Writable } from 'node:stream';
import { AppLogger } from './app-logger';
import { createRootLogger } from './logger-options';

function loggerAt(level: string): { logger: AppLogger; lines: () => Record<string, unknown>[] } {
  const written: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      written.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      callback();
    },
  });
  const logger = new AppLogger(createRootLogger(level, sink));
  return { logger, lines: () => written.map((line) => JSON.parse(line) as Record<string, unknown>) };
}

describe("Nest's start-up lines", () => {
  it('are debug: quiet at info, so the banner is not scrolled away', () => {
    const { logger, lines } = loggerAt('info');
    logger.log('ConfigModule dependencies initialized', 'InstanceLoader');
    logger.log('Mapped {/health/live, GET} route', 'RouterExplorer');
    logger.log('Nest application successfully started', 'NestApplication');
    logger.log('applied migrations: none', 'Database');
    logger.warn('something odd', 'InstanceLoader');
    expect(lines().map((l) => [l.level, l.context])).toEqual([
      ['info', 'Database'],
      ['warn', 'InstanceLoader'],
    ]);
  });

  it('come back with LOG_LEVEL=debug', () => {
    const { logger, lines } = loggerAt('debug');
    logger.log('Mapped {/health/live, GET} route', 'RouterExplorer');
    expect(lines()).toEqual([expect.objectContaining({ level: 'debug', context: 'RouterExplorer' })]);
  });
});
