/** @jest-config-loader esbuild-register */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from 'jest';

/*
 * Tests compile with the same swc settings as the rest of the project: type-graphql needs
 * legacy decorators and decorator metadata ("Unable to infer GraphQL type" without them).
 * The settings are read from .swcrc here rather than by @swc/jest itself, which looks for
 * it in the working directory and would silently lose them when jest runs from elsewhere.
 * Types are checked by `tsc --noEmit`, not here.
 */
const { $schema: _schema, ...swcOptions } = JSON.parse(readFileSync(join(__dirname, '.swcrc'), 'utf8')) as Record<string, unknown>;
const transform: Config['transform'] = {
  '^.+\\.ts$': ['@swc/jest', { ...swcOptions, swcrc: false }],
  // Only for the node_modules packages that transformIgnorePatterns lets through (cookie).
  '^.+\\.js$': ['@swc/jest', { swcrc: false, jsc: { parser: { syntax: 'ecmascript' }, target: 'es2022' }, module: { type: 'commonjs' } }],
};

const common = {
  rootDir: __dirname,
  testEnvironment: 'node',
  transform,
  moduleFileExtensions: ['ts', 'js', 'json'],
  // cookie 2 ships ES modules only, which Jest's VM loads only with --experimental-vm-modules:
  // it is compiled to require() like the project's own code.
  transformIgnorePatterns: ['/node_modules/(?!cookie/)'],
  // The client package (client/src) is an ES module for browsers: its relative imports name
  // the .js files tsc emits, which are .ts files here.
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  clearMocks: true,
} satisfies Config;

const config: Config = {
  // A global option in Jest (projects cannot set their own); unit tests finish in milliseconds anyway.
  testTimeout: 20_000,
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: ['<rootDir>/test/unit/**/*.test.ts'],
    },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/integration/**/*.test.ts', '<rootDir>/test/contracts/**/*.test.ts', '<rootDir>/test/e2e/**/*.test.ts'],
      setupFiles: ['<rootDir>/test/support/setup-integration.ts'],
      /*
       * One Redis for the whole run. Jest runs a project's global setup only when the run
       * includes that project's tests, and each setup file once however many projects
       * name it: unit-only runs need no Redis, and integration runs provision it once.
       */
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
    },
  ],
};

export default config;
