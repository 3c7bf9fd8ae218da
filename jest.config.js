/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // ts first: `npm pack` compiles lib/ in place for a moment, and a stale .js must never shadow the source.
  moduleFileExtensions: ['ts', 'js', 'json'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
  setupFilesAfterEnv: ['aws-cdk-lib/testhelpers/jest-autoclean', 'aws-sdk-client-mock-jest'],
  testTimeout: 60000,
};
