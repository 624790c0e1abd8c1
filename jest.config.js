// Tests are compiled by tsc first (make build) and run from dist/: the same
// JavaScript the bin/ executables run, and no second TypeScript pipeline.
// JEST_ROOT lets a developer run an alternative build directory.
/** @type {import('jest').Config} */
module.exports = {
  rootDir: process.env.JEST_ROOT || 'dist',
  testMatch: ['**/*.test.js'],
  testEnvironment: 'node',
  // VMs boot, SSH connects, terraform runs: generous per-test limits, no timing assertions.
  testTimeout: 120000,
  maxWorkers: 2,
};
