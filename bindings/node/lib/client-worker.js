'use strict';
// The thread behind Client's promise forms: a client of its own makes each blocking call
// here and reads the failure's details (CINNOX's code, the message) on the thread the call
// ran on, where the library keeps them.

const { parentPort, workerData } = require('worker_threads');
const ffi = require('./ffi');
const { details } = require('./errors');

const { c } = ffi;
const { baseUrl, appToken, connectTimeout, timeout, userAgent } = workerData;

let client = null;
let startError = null;
{
  const out = [null];
  const rc = c.cinnox_client_new(baseUrl, appToken, out);
  if (rc !== ffi.OK) {
    startError = details(c, rc);
  } else {
    client = out[0];
    const ms = (v) => (v === undefined ? 0 : Math.round(v));
    if (connectTimeout !== undefined || timeout !== undefined) {
      c.cinnox_client_set_timeouts(client, ms(connectTimeout), ms(timeout));
    }
    if (userAgent !== undefined) c.cinnox_client_set_user_agent(client, userAgent);
  }
}

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
