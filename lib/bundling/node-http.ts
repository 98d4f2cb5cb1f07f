import { createRequire } from 'node:module';

/**
 * node:http as the bundled functions see it, taken through `require`. Node (22 and 24) builds
 * the ES module facade of a built-in by reading every export, and node:http's lazy
 * WebSocket, CloseEvent and MessageEvent exports load undici: some 15 ms of a cold
 * start on Lambda's runtime, for classes nothing here uses. A name missing below fails
 * the build, not the function.
 */
const http = createRequire(import.meta.url)('node:http') as typeof import('node:http');

export default http;
export const {
  Agent,
  ClientRequest,
  IncomingMessage,
  METHODS,
  OutgoingMessage,
  STATUS_CODES,
  Server,
  ServerResponse,
  createServer,
  get,
  request,
  setMaxIdleHTTPParsers,
  validateHeaderName,
  validateHeaderValue,
} = http;
