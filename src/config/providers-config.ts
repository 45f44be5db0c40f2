// The providers' settings moved to areas/providers.config.ts; importers keep this path.
export * from './areas/providers.config';
