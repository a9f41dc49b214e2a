'use strict';
// A native client from the package's settings: cinnox_client_builder_new, its setters,
// cinnox_client_builder_build. Shared by Client (index.js) and its worker thread
// (client-worker.js), which each make a client of their own from the same settings.

const ffi = require('./ffi');
const { details } = require('./errors');

const { c } = ffi;

/**
 * `{ ptr }`, a new client the caller owns, or `{ error }`, the failure's details, read on
 * this thread right after the call that failed. `settings`: `baseUrl`, `appToken`, and the
 * optional `connectTimeoutMs`, `timeoutMs` (0 keeps the library's value) and `userAgent`.
 */
function buildClient({ baseUrl, appToken, connectTimeoutMs, timeoutMs, userAgent }) {
  const b = [null];
  let rc = c.cinnox_client_builder_new(baseUrl, appToken, b);
  if (rc !== ffi.OK) return { error: details(c, rc) };
  const builder = b[0];
  if (connectTimeoutMs !== undefined || timeoutMs !== undefined) {
    rc = c.cinnox_client_builder_set_timeouts(builder, connectTimeoutMs || 0, timeoutMs || 0);
  }
  if (rc === ffi.OK && userAgent !== undefined) rc = c.cinnox_client_builder_set_user_agent(builder, userAgent);
  if (rc !== ffi.OK) {
    const error = details(c, rc);
    c.cinnox_client_builder_free(builder);
    return { error };
  }
  const out = [null];
  // Consumes the builder whatever the result.
  rc = c.cinnox_client_builder_build(builder, out);
  if (rc !== ffi.OK) return { error: details(c, rc) };
  return { ptr: out[0] };
}

module.exports = { buildClient };
