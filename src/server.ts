import { compileCacheDir } from './compile-cache';
import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { ConfigError, describeEnvironment, loadAppConfig } from './config/app-config';
import { loadEnvFileIfPresent } from './config/env-file';
import { createApp } from './bootstrap';
import { BANNER_FAKES, BannerFake, printBanner } from './banner';
import { installGracefulShutdown } from './health/graceful-shutdown';
import { DatabaseCreationError } from './database/create-database';
import { migrateDatabase } from './database/migrate';
import { startRefreshWorker } from './refresh-worker';
import { AppLogger } from './logging/app-logger';

const USAGE = 'usage: node dist/src/main.js [migrate | refresh-worker | compile-cache]';
const COMMANDS = [undefined, 'migrate', 'refresh-worker', 'compile-cache'];

async function main(): Promise<void> {
  const command = process.argv[2];
  if (!COMMANDS.includes(command)) {
    process.stderr.write(`unknown command "${command}"\n${USAGE}\n`);
    process.exit(2);
  }
  // Loading the code was the point: the compile cache (src/compile-cache.ts) now holds it. The
  // Dockerfile runs this at build, so that a new container's first start is not a cold one.
  if (command === 'compile-cache') {
    process.stdout.write(`compile cache: ${compileCacheDir() ?? 'off'}\n`);
    return;
  }
  // .env in the working directory, when present; the environment wins over it.
  const envFile = loadEnvFileIfPresent();
  let config;
  try {
    config = loadAppConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\nSee .env.example for every variable.\n`);
      process.exit(1);
    }
    throw error;
  }
  if (command === 'migrate') {
    let applied: string[];
    try {
      applied = await migrateDatabase(config, (name) => process.stdout.write(`created database ${name}\n`));
    } catch (error) {
      if (!(error instanceof DatabaseCreationError)) throw error;
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    process.stdout.write(
      applied.length > 0 ? `applied ${applied.length} migrations: ${applied.join(', ')}\n` : 'schema is up to date\n',
    );
    return;
  }
  if (command === 'refresh-worker') {
    let worker;
    try {
      worker = await startRefreshWorker(config);
    } catch (error) {
      if (error instanceof ConfigError) {
        process.stderr.write(`${error.message}\n`);
        process.exit(1);
      }
      throw error;
    }
    // No listener to drain: SIGTERM stops claiming, lets the pass in flight finish, gives leases back.
    installGracefulShutdown(worker, { drainMs: 0 });
    // The job's timers do not hold the process open (they must not in an API instance): this does.
    setInterval(() => undefined, 3_600_000);
    new Logger('RefreshWorker').log(
      `${config.mode} mode; refresh worker running (no HTTP API); environment: ` +
        `${describeEnvironment(process.env).join(' ') || '(defaults)'}`,
    );
    return;
  }
  const app = await createApp(config);
  // What this instance runs with, secrets masked.
  new Logger('Config').log(
    `${config.mode} mode; environment${envFile ? ` (with ${envFile})` : ''}: ` +
      `${describeEnvironment(process.env).join(' ') || '(defaults)'}`,
  );
  // SIGTERM and SIGINT: drain first (readiness red, in-flight requests finish), then close.
  installGracefulShutdown(app, { drainMs: config.shutdownDrainMs });
  await app.listen(config.port, config.host);
  // Logs are written asynchronously: the banner waits for the lines before it.
  await app.get(AppLogger).flush();
  printBanner(config, app.getHttpServer().address(), app.get<readonly BannerFake[]>(BANNER_FAKES));
}

main().catch((error: unknown) => {
  process.stderr.write(`fatal: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
