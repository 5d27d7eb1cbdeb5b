/**
 * `npm run lint`: typescript-eslint with the type-aware promise rules (an
 * unawaited promise loses its error; a promise where a callback is expected
 * runs unobserved), and Nx's module boundaries, which keep the layering of
 * docs/ARCHITECTURE.md: services never import each other, and the protocol
 * core stays pure (no I/O).
 */
const nx = require('@nx/eslint-plugin');
const tseslint = require('typescript-eslint');

/** Node's I/O modules (network, disk, processes): none of them may enter the pure protocol library. */
const NODE_IO = [
  'fs',
  'fs/promises',
  'net',
  'http',
  'https',
  'http2',
  'dns',
  'tls',
  'dgram',
  'child_process',
  'cluster',
  'worker_threads',
  'readline',
];
/** Packages that do I/O (database, bus, cache, HTTP, framework, telemetry export): likewise. */
const PACKAGE_IO = [
  '@prisma/*',
  '@electric-sql/*',
  'pg',
  'nats',
  'ioredis',
  'undici',
  'fastify',
  '@fastify/*',
  '@nestjs/*',
  '@opentelemetry/*',
];

module.exports = tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'libs/storage/src/generated/**', 'coverage/**', '**/*.js', '**/*.mjs'] },
  {
    files: ['**/*.ts'],
    extends: [tseslint.configs.base],
    plugins: { '@nx': nx },
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: __dirname } },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          // The protocol's DAG builder is test support the room-server's DAG tests share; it is not part of the library's API.
          allow: ['../../../protocol/src/state-res/spec/dag-builder'],
          depConstraints: [
            {
              sourceTag: 'type:app',
              onlyDependOnLibsWithTags: ['type:runtime', 'type:service', 'type:shared', 'type:pure'],
            },
            { sourceTag: 'type:runtime', onlyDependOnLibsWithTags: ['type:service', 'type:shared', 'type:pure'] },
            { sourceTag: 'type:service', onlyDependOnLibsWithTags: ['type:shared', 'type:pure'] },
            { sourceTag: 'type:shared', onlyDependOnLibsWithTags: ['type:shared', 'type:pure'] },
            { sourceTag: 'type:pure', onlyDependOnLibsWithTags: ['type:pure'], bannedExternalImports: PACKAGE_IO },
          ],
        },
      ],
    },
  },
  // Libraries log through Nest's Logger (one per class); the apps' last-resort crash handler, the CLI tools and the benches print.
  { files: ['libs/**/*.ts'], rules: { 'no-console': 'error' } },
  {
    files: ['libs/protocol/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: NODE_IO.flatMap((name) => [name, `node:${name}`]).map((name) => ({
            name,
            message: 'libs/protocol is pure: no I/O',
          })),
        },
      ],
    },
  },
);
