// The core's tests use the same helper the testing kit publishes.
export * from '../../src/testing/test-databases.js';
