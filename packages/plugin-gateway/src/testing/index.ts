/**
 * `@hypermesh/plugin-gateway/testing` — for tests of code that talks to the gateway (the CLI,
 * reference clusters): a node with the gateway on port 0, and test doubles of the contracts it
 * serves. The doubles are small in-memory stand-ins, not the subsystems.
 *
 * @packageDocumentation
 */
export {
  testDoubleAnalytics,
  testDoubleCertificates,
  testDoubleConsensus,
  testDoubleResolver,
  testDoubleScheduler,
} from './contract-doubles.js';
export { startTestGateway, TEST_JWT_SECRET, TEST_KEYS, type TestGateway, type TestGatewayOptions } from './gateway-node.js';
