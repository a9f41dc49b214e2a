'use strict';
// The cinnox package against the library's built-in sandbox, on 127.0.0.1 only. No test
// sleeps to wait: each awaits the event itself (a delivery, a trigger's promise).

const test = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('child_process');
const fs = require('fs');
const http = require('http');
const os = require('os');
const path = require('path');

const cinnox = require('..');

const APP = 'app-node';
const TOKEN = 'token-node-0123456789';
const WAIT = 20000;

function world(options = {}) {
  const sandbox = new cinnox.Sandbox({ appId: APP, appToken: TOKEN, ...options });
  const client = new cinnox.Client(sandbox.baseUrl, TOKEN);
  return {
    sandbox,
    client,
    close() {
      client.close();
      sandbox.close();
    },
  };
}

test('whole flow: subscribe, trigger, receive, ack, unsubscribe', async () => {
  const w = world();
  const rx = new cinnox.Receiver('127.0.0.1:0');
  try {
    assert.ok(rx.port > 0);
    assert.equal(rx.url, `http://127.0.0.1:${rx.port}${rx.path}`);
    for (const kind of [cinnox.EventKind.CALL, cinnox.EventKind.INBOUND_SMS, cinnox.EventKind.OUTBOUND_SMS]) {
      const sub = await w.client.subscribeAsync(APP, kind, rx.url);
      assert.equal(sub.enabled, true);
      assert.equal(sub.url, rx.url);
    }
    assert.equal(w.sandbox.subscriptionCount, 3);

    let pending = w.sandbox.triggerCallStartAsync({ callId: 'call-1', callerNumber: '+85211112222', calleeNumber: '+85233334444' });
    let d = await rx.recvAsync({ timeout: WAIT });
    assert.ok(d.event instanceof cinnox.CallStart);
    assert.equal(d.event.id, 'call-1');
    assert.equal(d.event.caller.number, '+85211112222');
    assert.deepEqual(d.event.callees.map((p) => p.number), ['+85233334444']);
    assert.ok(d.event.raw.includes('"call-1"'));
    assert.ok(d.event.dedupKey.length > 0);
    d.ack();
    assert.equal(d.answered, true);
    assert.throws(() => d.ack(), cinnox.ClosedError);
    let records = await pending;
    assert.equal(records.length, 1);
    assert.deepEqual(records[0].statuses, [200]);
    assert.equal(records[0].delivered, true);

    pending = w.sandbox.triggerCallEndAsync({ callId: 'call-1' });
    d = await rx.recvAsync({ timeout: WAIT });
    assert.ok(d.event instanceof cinnox.CallEnd);
    d.ack();
    assert.deepEqual((await pending)[0].statuses, [200]);

    pending = w.sandbox.triggerInboundSmsAsync({ senderNumber: '+85255556666', recipientNumber: '+85277778888', content: 'hello 你好' });
    d = await rx.recvAsync({ timeout: WAIT });
    assert.ok(d.event instanceof cinnox.InboundSms);
    assert.equal(d.event.senderNumber, '+85255556666');
    assert.equal(d.event.recipientNumber, '+85277778888');
    assert.equal(d.event.content, 'hello 你好');
    d.ack();
    await pending;

    pending = w.sandbox.triggerDeliveryReportAsync({ transactionId: 'tx-9', status: 'Undelivered' });
    d = await rx.recvAsync({ timeout: WAIT });
    assert.ok(d.event instanceof cinnox.DeliveryReport);
    assert.equal(d.event.transactionId, 'tx-9');
    assert.equal(d.event.status, cinnox.DeliveryStatus.UNDELIVERED);
    d.ack();
    await pending;

    const stats = rx.stats();
    assert.deepEqual([stats.events, stats.acks, stats.fails, stats.challenges], [4, 4, 0, 3]);

    const off = w.client.unsubscribe(APP, cinnox.EventKind.CALL, rx.url);
    assert.equal(off.enabled, false);
    assert.deepEqual(await w.sandbox.triggerCallStartAsync(), []);
  } finally {
    rx.close();
    w.close();
  }
});

test('a failed delivery is delivered again', async () => {
  const w = world({ redeliveryDelays: [10] });
  const rx = new cinnox.Receiver();
  try {
    w.client.subscribe(APP, cinnox.EventKind.INBOUND_SMS, rx.url);
    const pending = w.sandbox.triggerInboundSmsAsync({ content: 'again' });
    const first = await rx.recvAsync({ timeout: WAIT });
    first.fail();
    const second = await rx.recvAsync({ timeout: WAIT });
    assert.equal(second.event.id, first.event.id);
    second.ack();
    assert.deepEqual((await pending)[0].statuses, [500, 200]);
  } finally {
    rx.close();
    w.close();
  }
});

test('serve: a throwing handler fails the event and it is delivered again', async () => {
  const w = world({ redeliveryDelays: [10] });
  const rx = new cinnox.Receiver();
  try {
    w.client.subscribe(APP, cinnox.EventKind.CALL, rx.url);
    const seen = [];
    const failures = [];
    const serving = rx.serve(
      async (event) => {
        seen.push(event.id);
        if (seen.length === 1) throw new Error('the first attempt fails');
      },
      { workers: 2, onError: (e, event) => failures.push([e.message, event.id]) },
    );
    const records = await w.sandbox.triggerCallStartAsync({ callId: 'call-exc' });
    rx.shutdown();
    await serving;
    assert.deepEqual(records[0].statuses, [500, 200]);
    assert.deepEqual(seen, ['call-exc', 'call-exc']);
    assert.deepEqual(failures, [['the first attempt fails', 'call-exc']]);
    assert.deepEqual([rx.stats().fails, rx.stats().acks], [1, 1]);
  } finally {
    rx.close();
    w.close();
  }
});

test('a handler can shut serve down', async () => {
  const w = world();
  const rx = new cinnox.Receiver();
  try {
    w.client.subscribe(APP, cinnox.EventKind.CALL, rx.url);
    const serving = rx.serve(() => rx.shutdown());
    assert.deepEqual((await w.sandbox.triggerCallStartAsync())[0].statuses, [200]);
    await serving;
    await assert.rejects(rx.recvAsync({ timeout: 1000 }), cinnox.ClosedError);
  } finally {
    rx.close();
    w.close();
  }
});

test('a bad token is an ApiError carrying CINNOX code 6452000', async () => {
  const w = world();
  const bad = new cinnox.Client(w.sandbox.baseUrl, 'not-the-token');
  try {
    for (const attempt of [
      () => bad.subscribe(APP, cinnox.EventKind.CALL, 'http://127.0.0.1:9/cinnox/x'),
      () => bad.subscribeAsync(APP, cinnox.EventKind.CALL, 'http://127.0.0.1:9/cinnox/x'),
    ]) {
      await assert.rejects(
        (async () => attempt())(),
        (e) => {
          assert.ok(e instanceof cinnox.ApiError);
          assert.ok(e instanceof cinnox.CinnoxError);
          assert.equal(e.kind, 'api');
          assert.equal(e.apiCode, cinnox.CODE_INVALID_TOKEN);
          assert.ok(e.httpStatus >= 400);
          assert.ok(!e.message.includes('not-the-token'));
          return true;
        },
      );
    }
  } finally {
    bad.close();
    w.close();
  }
});

test('invalid arguments raise InvalidArgumentError', () => {
  assert.throws(() => new cinnox.Receiver('not an address'), (e) => e instanceof cinnox.InvalidArgumentError && e.kind === 'invalid_argument');
  assert.throws(() => new cinnox.Receiver('127.0.0.1:0', { path: '/' }), cinnox.InvalidArgumentError);
  assert.throws(() => new cinnox.Client('not a url', TOKEN), cinnox.InvalidArgumentError);
  assert.throws(() => new cinnox.Receiver('127.0.0.1:0', { metricsBind: 'localhost' }), cinnox.InvalidArgumentError);
  assert.throws(() => new cinnox.Receiver().recv({ timeout: -1 }), cinnox.InvalidArgumentError);
  const w = world();
  try {
    assert.throws(() => w.client.subscribe('', cinnox.EventKind.CALL, 'http://127.0.0.1:9/x'), cinnox.InvalidArgumentError);
  } finally {
    w.close();
  }
  assert.throws(() => cinnox.parse('[1,'), cinnox.BadRequestError);
  assert.throws(() => cinnox.parse('{"challenge":"abc"}'), cinnox.WrongTypeError);
  assert.throws(() => new cinnox.Inbox('/proc/no/such/dir/inbox.db'), cinnox.IoError);
});

const FAMILIES = 'call, inbound-sms, outbound-sms, inquiry, recording, external-contact, staff-contact, label, inquiry-label';

test('families are named as the command line names them', async () => {
  const w = world();
  const rx = new cinnox.Receiver('127.0.0.1:0');
  try {
    assert.equal((await w.client.subscribeAsync(APP, 'call', rx.url)).enabled, true);
    assert.equal(w.client.subscribe(APP, 'inbound-sms-event-sub', rx.url).enabled, true);
    assert.equal(w.sandbox.subscriptionCount, 2);
    const sent = w.sandbox.triggerJsonAsync('inbound-sms', '{"id":"by-name"}');
    const d = await rx.recvAsync({ timeout: WAIT });
    assert.equal(d.event.raw.toString(), '{"id":"by-name"}');
    d.ack();
    assert.deepEqual((await sent).map((r) => r.statuses), [[200]]);
    assert.equal((await w.client.unsubscribeAsync(APP, 'call', rx.url)).enabled, false);
    const message = (name) =>
      `unknown event family ${JSON.stringify(name)} (one of: ${FAMILIES}; or a slug such as 'call-event-sub')`;
    for (const bad of ['sms', 'CALL', '']) {
      assert.throws(
        () => w.client.subscribe(APP, bad, rx.url),
        (e) => e instanceof cinnox.InvalidArgumentError && e.message === message(bad),
      );
      await assert.rejects(
        w.client.subscribeAsync(APP, bad, rx.url),
        (e) => e instanceof cinnox.InvalidArgumentError && e.message === message(bad),
      );
    }
    assert.throws(() => w.sandbox.triggerJson('fax-event-sub', '{}'), cinnox.InvalidArgumentError);
  } finally {
    rx.close();
    w.close();
  }
});

test('recv times out, and close wakes a waiting recvAsync', async () => {
  const rx = new cinnox.Receiver();
  assert.throws(() => rx.recv({ timeout: 20 }), cinnox.TimeoutError);
  await assert.rejects(rx.recvAsync({ timeout: 20 }), cinnox.TimeoutError);
  const waiting = rx.recvAsync();
  rx.close();
  await assert.rejects(waiting, cinnox.ClosedError);
  assert.equal(rx.closed, true);
  rx.close(); // idempotent
  assert.throws(() => rx.recv({ timeout: 1 }), cinnox.ClosedError);
});

test('for await over a receiver yields deliveries until it is shut down', async () => {
  const w = world();
  const rx = new cinnox.Receiver();
  try {
    w.client.subscribe(APP, cinnox.EventKind.INBOUND_SMS, rx.url);
    const sent = (async () => {
      const out = [];
      for (let i = 0; i < 3; i++) out.push(await w.sandbox.triggerInboundSmsAsync({ content: `m${i}` }));
      return out;
    })();
    const got = [];
    for await (const d of rx) {
      got.push(d.event.content);
      d.ack();
      if (got.length === 3) rx.shutdown();
    }
    assert.deepEqual(got, ['m0', 'm1', 'm2']);
    for (const r of await sent) assert.deepEqual(r[0].statuses, [200]);
  } finally {
    rx.close();
    w.close();
  }
});

test('waits run off the event loop: a timer fires while recvAsync waits', async () => {
  const w = world();
  const rx = new cinnox.Receiver();
  try {
    w.client.subscribe(APP, cinnox.EventKind.CALL, rx.url);
    const waiting = rx.recvAsync();
    // Only a free event loop runs this timer, and only the timer triggers the event the
    // wait is for: a held loop would hang here.
    const fired = new Promise((resolve) => setTimeout(resolve, 1));
    await fired;
    const records = w.sandbox.triggerCallStartAsync({ callId: 'call-loop' });
    const d = await waiting;
    assert.equal(d.event.id, 'call-loop');
    d.ack();
    assert.deepEqual((await records)[0].statuses, [200]);
  } finally {
    rx.close();
    w.close();
  }
});

test('wire variants parse the same', async () => {
  const w = world();
  const rx = new cinnox.Receiver();
  try {
    w.client.subscribe(APP, cinnox.EventKind.CALL, rx.url);
    const wire = cinnox.Wire.NUMBERS_AS_JSON_NUMBERS | cinnox.Wire.CALLEES_AS_ARRAY | cinnox.Wire.WITHOUT_ENVELOPE;
    const pending = w.sandbox.triggerCallStartAsync({ callId: 'call-w', callerNumber: '85211112222', calleeNumber: '85233334444', wire });
    const d = await rx.recvAsync({ timeout: WAIT });
    assert.equal(d.event.id, 'call-w');
    assert.equal(d.event.caller.number, '85211112222');
    assert.ok(!d.event.raw.includes('"message"'));
    d.ack();
    assert.equal((await pending)[0].delivered, true);
    assert.throws(() => w.sandbox.triggerCallStart({ wire: 64 }), cinnox.InvalidArgumentError);
  } finally {
    rx.close();
    w.close();
  }
});

test('an inbox stores before answering, retries, goes dead, and replays', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cinnox-node-'));
  const inbox = new cinnox.Inbox(path.join(dir, 'inbox.db'));
  // Before the receiver: an open receiver keeps the schedule its inbox had (see below).
  inbox.setRetry({ maxAttempts: 1 });
  const w = world();
  const rx = new cinnox.Receiver('127.0.0.1:0', { inbox });
  try {
    assert.throws(() => inbox.setRetry({ maxAttempts: 2 }), cinnox.InvalidArgumentError);
    w.client.subscribe(APP, cinnox.EventKind.INBOUND_SMS, rx.url);
    // Answered 200 once stored, before the application took it.
    assert.deepEqual((await w.sandbox.triggerInboundSmsAsync({ content: 'kept' }))[0].statuses, [200]);
    assert.equal(inbox.stats().pending, 1);
    (await rx.recvAsync({ timeout: WAIT })).fail();
    let s = inbox.stats();
    assert.deepEqual([s.pending, s.dead], [0, 1]);
    assert.equal(inbox.replayDead(), 1);
    const d = await inbox.recvAsync({ timeout: WAIT });
    assert.equal(d.event.content, 'kept');
    d.ack();
    s = inbox.stats();
    assert.deepEqual([s.pending, s.inFlight, s.done, s.dead], [0, 0, 1, 0]);
    assert.ok(rx.metrics().split('\n').includes('cinnox_inbox_done 1'));
    assert.throws(() => inbox.recv({ timeout: 10 }), cinnox.TimeoutError);
  } finally {
    rx.close();
    w.close();
    inbox.close();
  }
});

test('stats read every counter of the library', async () => {
  const ffi = require('../lib/ffi');
  const names = [];
  for (let i = 1; i <= ffi.COUNTERS.length + 1; i++) names.push(ffi.c.cinnox_counter_name(i));
  assert.deepEqual(names.slice(0, -1), ffi.COUNTERS);
  assert.equal(names[names.length - 1], null, 'the library has a counter this package does not read');
  const w = world();
  const rx = new cinnox.Receiver('127.0.0.1:0');
  try {
    await w.client.subscribeAsync(APP, cinnox.EventKind.CALL, rx.url);
    const stats = rx.stats();
    assert.equal(Object.keys(stats).length, ffi.COUNTERS.length);
    assert.deepEqual([stats.requests, stats.challenges, stats.events], [1, 1, 0]);
    assert.deepEqual([stats.fdExhaustions, stats.slowReaders, stats.storeFailures], [0, 0, 0]);
  } finally {
    rx.close();
    w.close();
  }
});

test('a client built with settings, and an inbox opened again with a new schedule', async () => {
  const w = world();
  const client = new cinnox.Client(w.sandbox.baseUrl, TOKEN, { connectTimeout: 2000, timeout: 5000, userAgent: 'node-test/1' });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cinnox-node-'));
  const inbox = new cinnox.Inbox(path.join(dir, 'inbox.db'));
  try {
    const rx = new cinnox.Receiver('127.0.0.1:0');
    try {
      assert.equal(client.subscribe(APP, cinnox.EventKind.CALL, rx.url).enabled, true);
      assert.equal((await client.unsubscribeAsync(APP, cinnox.EventKind.CALL, rx.url)).enabled, false);
    } finally {
      rx.close();
    }
    assert.throws(() => inbox.setRetry({ maxAttempts: 0 }), cinnox.InvalidArgumentError);
    // A wait in progress keeps the inbox it started on; the next call gets the new one.
    const waiting = inbox.recvAsync({ timeout: 50 });
    inbox.setRetry({ maxAttempts: 2, firstDelay: 0, maxDelay: 0 });
    await assert.rejects(waiting, cinnox.TimeoutError);
    assert.equal(inbox.stats().pending, 0);
    const withInbox = new cinnox.Receiver('127.0.0.1:0', { inbox });
    assert.throws(() => inbox.setRetry({ maxAttempts: 3 }), cinnox.InvalidArgumentError);
    withInbox.close();
    inbox.setRetry({ maxAttempts: 3 });
    inbox.close();
    assert.throws(() => inbox.setRetry({ maxAttempts: 3 }), cinnox.ClosedError);
  } finally {
    inbox.close();
    client.close();
    w.close();
  }
});

test('metrics, and GET /metrics on its own port', async () => {
  const w = world();
  const rx = new cinnox.Receiver('127.0.0.1:0', { metricsBind: '127.0.0.1:0' });
  try {
    assert.ok(rx.metricsPort && rx.metricsPort !== rx.port);
    await w.client.subscribeAsync(APP, cinnox.EventKind.CALL, rx.url);
    assert.ok(rx.metrics().split('\n').includes('cinnox_webhook_requests_total{outcome="challenge"} 1'));
    const { status, type, body } = await new Promise((resolve, reject) => {
      http
        .get(`http://127.0.0.1:${rx.metricsPort}/metrics`, (res) => {
          let text = '';
          res.on('data', (chunk) => (text += chunk));
          res.on('end', () => resolve({ status: res.statusCode, type: res.headers['content-type'], body: text }));
        })
        .on('error', reject);
    });
    assert.equal(status, 200);
    assert.equal(type, 'text/plain; version=0.0.4; charset=utf-8');
    assert.ok(body.includes('cinnox_connections_open'));
  } finally {
    rx.close();
    w.close();
  }
  const plain = new cinnox.Receiver();
  assert.equal(plain.metricsPort, null);
  plain.close();
});

test('the package loads the library it carries', () => {
  assert.equal(cinnox.libraryVersion(), '0.2.0');
  if (!process.env.CINNOX_LIBRARY) {
    assert.equal(path.dirname(cinnox.libraryFile), path.join(path.dirname(require.resolve('..')), 'native'));
  }
});

test('the README example runs as pasted', () => {
  // As a file of its own (CommonJS, as `node example.js` runs it), with `require('cinnox')`
  // finding this package.
  const readme = fs.readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8');
  const block = readme.split('```js\n')[1].split('```')[0];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cinnox-readme-'));
  try {
    fs.mkdirSync(path.join(dir, 'node_modules'));
    fs.symlinkSync(path.resolve(__dirname, '..'), path.join(dir, 'node_modules', 'cinnox'), 'dir');
    fs.writeFileSync(path.join(dir, 'example.js'), block);
    const run = spawnSync(process.execPath, ['example.js'], { cwd: dir, encoding: 'utf8', timeout: WAIT * 3 });
    assert.equal(run.status, 0, `${run.stdout}\n${run.stderr}`);
    assert.match(run.stdout, /^CallStart CallStart \{/, run.stdout);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
