'use strict';
// The thread behind Client's promise forms: a client of its own makes each blocking call
// here and reads the failure's details (CINNOX's code, the message) on the thread the call
// ran on, where the library keeps them.

const { parentPort, workerData } = require('worker_threads');
const ffi = require('./ffi');
const { details } = require('./errors');
const { buildClient } = require('./client-builder');

const { c } = ffi;

// The same settings as the Client on the main thread (already checked there).
const built = buildClient(workerData);
const client = built.ptr || null;
const startError = built.error || null;

parentPort.on('message', ({ id, op, appId, kind, url }) => {
  if (startError) {
    parentPort.postMessage({ id, error: startError });
    return;
  }
  const out = [null];
  const rc = c[`cinnox_client_${op}`](client, appId, kind, url, out);
  if (rc !== ffi.OK) {
    parentPort.postMessage({ id, error: details(c, rc) });
    return;
  }
  const sub = out[0];
  const result = {
    enabled: c.cinnox_subscription_enabled(sub),
    url: c.cinnox_subscription_url(sub),
    updatedAt: c.cinnox_subscription_updated_at(sub),
  };
  c.cinnox_subscription_free(sub);
  parentPort.postMessage({ id, result });
});
