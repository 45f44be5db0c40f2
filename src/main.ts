import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { ConfigError, describeEnvironment, loadAppConfig } from './config/app-config';
import { createApp } from './bootstrap';
import { printBanner } from './banner';
import { installGracefulShutdown } from './health/graceful-shutdown';

async function main(): Promise<void> {
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
  const app = await createApp(config);
  // What this instance runs with, secrets masked.
  new Logger('Config').log(
    `${config.mode} mode; environment: ${describeEnvironment(process.env).join(' ') || '(defaults)'}`,
  );
  // SIGTERM and SIGINT: drain first (readiness red, in-flight requests finish), then close.
  installGracefulShutdown(app, { drainMs: config.shutdownDrainMs });
  await app.listen(config.port, config.host);
  printBanner(config, app.getHttpServer().address());
}

main().catch((error: unknown) => {
  process.stderr.write(`fatal: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
