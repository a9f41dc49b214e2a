'use strict';
// CINNOX event subscriptions from Node.js, over the cinnox library's C ABI (koffi).
//
// Every blocking call has a promise form (`…Async`, or `serve`), made with koffi's async
// calls on its worker threads, so the event loop is never held; the plain forms block the
// calling thread. Objects are freed by `close()`: never while one of their async calls is
// still running (the free waits for it).

const crypto = require('crypto');
const path = require('path');
const { Worker } = require('worker_threads');

const ffi = require('./lib/ffi');
const errors = require('./lib/errors');
const events = require('./lib/events');
const { buildClient } = require('./lib/client-builder');

const { c } = ffi;
const { ClosedError, fromDetails, details } = errors;

/** Raise the error of `code` (read on this thread) unless it is OK. */
function check(code) {
  if (code !== ffi.OK) throw fromDetails(details(c, code));
}

/** A koffi async call as a promise of its result code. */
function callAsync(fn, ...args) {
  return new Promise((resolve, reject) => {
    fn.async(...args, (err, rc) => (err ? reject(err) : resolve(rc)));
  });
}

/** The error of a failed async call: its code and what the code means (the library's
 * message stays on the worker thread the call ran on). */
function asyncError(code, what) {
  return fromDetails({ code, message: `${what}: ${c.cinnox_result_name(code)}` });
}

/** Milliseconds for the library: a non-negative integer, or WAIT_FOREVER for undefined. */
function ms(value, forever = false) {
  if (value === undefined || value === null) {
    if (forever) return ffi.WAIT_FOREVER;
    return 0;
  }
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new errors.InvalidArgumentError(`a time in milliseconds must be a number >= 0 (got ${value})`, { code: 2 });
  }
  return Math.min(Math.round(value), ffi.WAIT_FOREVER - 1);
}

/**
 * One library object: freed once, never while a call is using it. `replace` puts a new
 * object in its place (an inbox opened again with other settings): calls that start
 * afterwards get the new one, the old one is freed when the last call using it returns.
 */
class Handle {
  constructor(ptr, free, what) {
    this.ptr = ptr;
    this.free = free;
    this.what = what;
    this.users = 0;
    // Calls in progress per pointer, and the replaced pointers some call still uses.
    this.perPtr = new Map();
    this.retired = new Set();
    this.closing = false;
  }

  /** The pointer for one call (release it with `done(ptr)`); ClosedError once closing. */
  take() {
    if (this.closing) throw new ClosedError(`the ${this.what} is closed`, { code: 9 });
    this.users += 1;
    this.perPtr.set(this.ptr, (this.perPtr.get(this.ptr) || 0) + 1);
    return this.ptr;
  }

  done(ptr) {
    const left = this.perPtr.get(ptr) - 1;
    if (left > 0) {
      this.perPtr.set(ptr, left);
    } else {
      this.perPtr.delete(ptr);
      if (this.retired.delete(ptr)) this.free(ptr);
    }
    this.users -= 1;
    if (this.closing && this.users === 0) this.release();
  }

  /** Run `f(ptr)` synchronously. */
  use(f) {
    const ptr = this.take();
    try {
      return f(ptr);
    } finally {
      this.done(ptr);
    }
  }

  /** Run the promise-returning `f(ptr)`; the object lives until it settles. */
  async useAsync(f) {
    const ptr = this.take();
    try {
      return await f(ptr);
    } finally {
      this.done(ptr);
    }
  }

  /** Put `ptr` in place of the current object, which is freed now if no call uses it,
   * else by the last call using it. ClosedError (and `ptr` freed) once closing. */
  replace(ptr) {
    if (this.closing) {
      this.free(ptr);
      throw new ClosedError(`the ${this.what} is closed`, { code: 9 });
    }
    const old = this.ptr;
    this.ptr = ptr;
    if (this.perPtr.has(old)) this.retired.add(old);
    else this.free(old);
  }

  /** Refuse new calls, run `wake(ptr)` to end blocked ones, free once none is running. */
  close(wake) {
    if (this.closing) return;
    this.closing = true;
    if (wake) wake(this.ptr);
    if (this.users === 0) this.release();
  }

  release() {
    if (this.ptr !== null) {
      const ptr = this.ptr;
      this.ptr = null;
      this.free(ptr);
    }
  }
}

// ---------------------------------------------------------------------------------------
// Client

function subscription(sub) {
  try {
    return {
      enabled: c.cinnox_subscription_enabled(sub),
      url: c.cinnox_subscription_url(sub),
      updatedAt: c.cinnox_subscription_updated_at(sub),
    };
  } finally {
    c.cinnox_subscription_free(sub);
  }
}

/**
 * A client of one CINNOX account (its per-account base URL and App Token): subscribes and
 * unsubscribes webhook URLs. The App Token never appears in errors.
 */
class Client {
  constructor(baseUrl, appToken, { connectTimeout, timeout, userAgent } = {}) {
    // Every setting goes to one builder; the worker behind the promise forms builds a
    // client of its own from the same settings.
    this._settings = { baseUrl, appToken, userAgent };
    if (connectTimeout !== undefined || timeout !== undefined) {
      this._settings.connectTimeoutMs = ms(connectTimeout);
      this._settings.timeoutMs = ms(timeout);
    }
    const built = buildClient(this._settings);
    if (built.error) throw fromDetails(built.error);
    this._h = new Handle(built.ptr, c.cinnox_client_free, 'client');
    this._worker = null;
    this._pending = new Map();
    this._next = 0;
  }

  /** Subscribe `url` to the events of family `kind` of app `appId`; blocks. `kind` is an
   * `EventKind` or a family's name as the command line spells it ('call', 'inbound-sms',
   * 'outbound-sms', …) or its slug ('call-event-sub'). CINNOX first verifies the URL (a
   * receiver answers that by itself). */
  subscribe(appId, kind, url) {
    return this._change('subscribe', appId, kind, url);
  }

  /** Turn the subscription of `url` to family `kind` off; blocks. */
  unsubscribe(appId, kind, url) {
    return this._change('unsubscribe', appId, kind, url);
  }

  /** `subscribe` as a promise; the HTTP exchange runs off the event loop. */
  subscribeAsync(appId, kind, url) {
    return this._changeAsync('subscribe', appId, kind, url);
  }

  /** `unsubscribe` as a promise. */
  unsubscribeAsync(appId, kind, url) {
    return this._changeAsync('unsubscribe', appId, kind, url);
  }

  _change(op, appId, kind, url) {
    return this._h.use((p) => {
      const out = [null];
      check(c[`cinnox_client_${op}`](p, appId, events.familyOf(kind), url, out));
      return subscription(out[0]);
    });
  }

  // A client's failure carries CINNOX's code, which the library keeps per thread: the
  // promise forms run on a worker thread of this client's (with a client of its own), which
  // reads it where the call ran.
  _changeAsync(op, appId, kind, url) {
    if (this._h.closing) return Promise.reject(new ClosedError('the client is closed', { code: 9 }));
    try {
      kind = events.familyOf(kind);
    } catch (e) {
      return Promise.reject(e);
    }
    if (!this._worker) {
      this._worker = new Worker(path.join(__dirname, 'lib', 'client-worker.js'), {
        workerData: this._settings,
      });
      this._worker.on('message', ({ id, result, error }) => {
        const pending = this._pending.get(id);
        if (!pending) return;
        this._pending.delete(id);
        if (this._pending.size === 0) this._worker.unref();
        if (error) pending.reject(fromDetails(error));
        else pending.resolve(result);
      });
      this._worker.on('error', (e) => {
        for (const p of this._pending.values()) p.reject(e);
        this._pending.clear();
      });
    }
    const id = this._next++;
    this._worker.ref();
    return new Promise((resolve, reject) => {
      this._pending.set(id, { resolve, reject });
      this._worker.postMessage({ id, op, appId, kind, url });
    });
  }

  /** Free the client (idempotent); calls in progress finish first. */
  close() {
    this._h.close();
    if (this._worker) {
      const worker = this._worker;
      this._worker = null;
      for (const p of this._pending.values()) p.reject(new ClosedError('the client is closed', { code: 9 }));
      this._pending.clear();
      worker.terminate();
    }
  }
}

// ---------------------------------------------------------------------------------------
// Deliveries, receiver, inbox

const unanswered = new FinalizationRegistry((ptr) => c.cinnox_delivery_free(ptr));

/**
 * One event waiting for the application's answer: `ack()` (HTTP 200; with an inbox, done)
 * or `fail()` (HTTP 500, so CINNOX delivers it again; with an inbox, retried). A delivery
 * collected unanswered is failed.
 */
class Delivery {
  constructor(ptr) {
    this._ptr = ptr;
    /** The event: a `CallStart`, `CallEnd`, `InboundSms`, `DeliveryReport` or `Other`. */
    this.event = events.fromPointer(c.cinnox_delivery_event(ptr));
    unanswered.register(this, ptr, this);
  }

  /** Whether `ack` or `fail` was called. */
  get answered() {
    return this._ptr === null;
  }

  _take() {
    if (this._ptr === null) throw new ClosedError('this delivery was already answered', { code: 9 });
    const ptr = this._ptr;
    this._ptr = null;
    unanswered.unregister(this);
    return ptr;
  }

  /** Acknowledge the event. */
  ack() {
    check(c.cinnox_delivery_ack(this._take()));
  }

  /** Fail the event, so that it is delivered again. */
  fail() {
    check(c.cinnox_delivery_fail(this._take()));
  }
}

/** Wait for a delivery with `recv(ptr, ms, out)`, blocking. */
function receive(handle, recv, timeout) {
  return handle.use((p) => {
    const out = [null];
    check(recv(p, ms(timeout, true), out));
    return new Delivery(out[0]);
  });
}

/** Wait for a delivery off the event loop. */
function receiveAsync(handle, recv, timeout) {
  return handle.useAsync(async (p) => {
    const out = [null];
    const rc = await callAsync(recv, p, ms(timeout, true), out);
    if (rc !== ffi.OK) throw asyncError(rc, 'recv');
    return new Delivery(out[0]);
  });
}

async function* deliveries(recvAsync) {
  for (;;) {
    let d;
    try {
      d = await recvAsync();
    } catch (e) {
      if (e instanceof ClosedError) return;
      throw e;
    }
    yield d;
  }
}

/** Open the inbox at `location` with the retry schedule `retry` (`[maxAttempts,
 * firstDelayMs, maxDelayMs]`; null: the library's default): builder, setter, build. */
function openInbox(location, retry) {
  const b = [null];
  check(c.cinnox_inbox_builder_new(location, b));
  const builder = b[0];
  if (retry) {
    const rc = c.cinnox_inbox_builder_set_retry(builder, ...retry);
    if (rc !== ffi.OK) {
      const error = fromDetails(details(c, rc));
      c.cinnox_inbox_builder_free(builder);
      throw error;
    }
  }
  const out = [null];
  // Consumes the builder whatever the result.
  check(c.cinnox_inbox_builder_build(builder, out));
  return out[0];
}

/**
 * A durable inbox: events are stored before they are answered 200, then handed out with
 * retries and dead letters. `location`: a file path (SQLite) or a `postgres://` URL.
 */
class Inbox {
  constructor(location) {
    this._h = new Handle(openInbox(location, null), c.cinnox_inbox_free, 'inbox');
    this.location = location;
    // The receivers made with this inbox (weakly): each shares the native inbox it was
    // made with.
    this._receivers = new Set();
  }

  /** `maxAttempts` attempts in all, `firstDelay` ms after the first failure, doubling up
   * to `maxDelay` ms; then the event is dead. The library fixes an inbox's schedule when
   * it opens: this opens the inbox again with the new one and puts it in place of the old
   * one (the stored events stay where they are). So call it before giving the inbox to a
   * `Receiver`: while a receiver made with it is open, it throws InvalidArgumentError
   * (that receiver would keep the old schedule). */
  setRetry({ maxAttempts, firstDelay = 5000, maxDelay = 3600000 }) {
    if (this._h.closing) throw new ClosedError('the inbox is closed', { code: 9 });
    for (const ref of this._receivers) {
      const rx = ref.deref();
      if (!rx || rx.closed) this._receivers.delete(ref);
    }
    if (this._receivers.size > 0) {
      throw new errors.InvalidArgumentError(
        "set the inbox's retry schedule before making a Receiver with it " +
          '(an open receiver keeps the schedule it was made with)',
        { code: 2 },
      );
    }
    const retry = [maxAttempts, ms(firstDelay), ms(maxDelay)];
    this._h.replace(openInbox(this.location, retry));
  }

  /** The next due event; blocks (`TimeoutError` after `timeout` ms). */
  recv({ timeout } = {}) {
    return receive(this._h, c.cinnox_inbox_recv, timeout);
  }

  /** The next due event, as a promise. */
  recvAsync({ timeout } = {}) {
    return receiveAsync(this._h, c.cinnox_inbox_recv, timeout);
  }

  [Symbol.asyncIterator]() {
    return deliveries(() => this.recvAsync());
  }

  /** How many events are pending, in flight, done and dead. */
  stats() {
    const out = [null];
    this._h.use((p) => check(c.cinnox_inbox_snapshot_new(p, out)));
    const snap = out[0];
    try {
      return {
        pending: Number(c.cinnox_inbox_snapshot_pending(snap)),
        inFlight: Number(c.cinnox_inbox_snapshot_in_flight(snap)),
        done: Number(c.cinnox_inbox_snapshot_done(snap)),
        dead: Number(c.cinnox_inbox_snapshot_dead(snap)),
        oldestPendingAgeMs: Number(c.cinnox_inbox_snapshot_oldest_pending_age_ms(snap)),
      };
    } finally {
      c.cinnox_inbox_snapshot_free(snap);
    }
  }

  /** Make every dead event pending again; how many. */
  replayDead() {
    const n = [0];
    this._h.use((p) => check(c.cinnox_inbox_replay_dead(p, n)));
    return Number(n[0]);
  }

  /** Close the inbox (idempotent). */
  close() {
    this._h.close();
  }
}

/** A new native receiver on `bind` answering on `urlPath`, with the options `o` of
 * `Receiver`: every setting goes to one builder, built once into the config the receiver
 * copies, freed as soon as the receiver is made. */
function startReceiver(bind, urlPath, o) {
  const b = [null];
  check(c.cinnox_receiver_config_builder_new(urlPath, b));
  const builder = b[0];
  try {
    if (o.maxBody !== undefined) check(c.cinnox_receiver_config_builder_set_max_body(builder, o.maxBody));
    for (const cidr of o.allowSources || []) check(c.cinnox_receiver_config_builder_allow_source(builder, cidr));
    for (const cidr of o.trustedProxies || []) check(c.cinnox_receiver_config_builder_trust_proxy(builder, cidr));
    if (o.dedupWindow !== undefined) check(c.cinnox_receiver_config_builder_set_dedup_window(builder, ms(o.dedupWindow)));
    if (o.maxConnections !== undefined) {
      check(c.cinnox_receiver_config_builder_set_max_connections(builder, o.maxConnections));
    }
    if (o.ioThreads !== undefined) check(c.cinnox_receiver_config_builder_set_io_threads(builder, o.ioThreads));
    if (o.headerTimeout !== undefined) {
      check(c.cinnox_receiver_config_builder_set_header_timeout(builder, ms(o.headerTimeout)));
    }
    if (o.perSourceLimit !== undefined) {
      check(c.cinnox_receiver_config_builder_set_per_source_limit(builder, o.perSourceLimit));
    }
    if (o.metricsBind !== undefined) check(c.cinnox_receiver_config_builder_set_metrics_bind(builder, o.metricsBind));
    if (o.inbox) o.inbox._h.use((p) => check(c.cinnox_receiver_config_builder_set_inbox(builder, p)));
  } catch (e) {
    c.cinnox_receiver_config_builder_free(builder);
    throw e;
  }
  const cfg = [null];
  // Consumes the builder whatever the result.
  check(c.cinnox_receiver_config_builder_build(builder, cfg));
  const config = cfg[0];
  try {
    const out = [null];
    check(c.cinnox_receiver_new_with_config(bind, config, out));
    return out[0];
  } finally {
    c.cinnox_receiver_config_free(config);
  }
}

/**
 * A hardened webhook receiver on `bind` (`"host:port"`; port 0 picks a free one). It answers
 * CINNOX's URL verification by itself, refuses every request that is not a POST to its path
 * (a secret path; the default is a random one) and hands each event to the application.
 *
 * Options: `path`, `inbox` (an `Inbox`), `maxBody`, `allowSources` and `trustedProxies`
 * (CIDR texts), `dedupWindow` (ms; 0 turns duplicate detection off), `maxConnections`,
 * `ioThreads`, `headerTimeout` (ms), `perSourceLimit`, `metricsBind` (`"127.0.0.1:9100"`:
 * `GET /metrics` there).
 */
class Receiver {
  constructor(bind = '127.0.0.1:0', options = {}) {
    const o = options;
    const urlPath = o.path || `/cinnox/${crypto.randomBytes(18).toString('base64url')}`;
    const rx = startReceiver(bind, urlPath, o);
    if (o.inbox) o.inbox._receivers.add(new WeakRef(this));
    this._h = new Handle(rx, c.cinnox_receiver_free, 'receiver');
    /** The webhook path (a secret: never log it). */
    this.path = urlPath.startsWith('/') ? urlPath : `/${urlPath}`;
    this.inbox = o.inbox || null;
    const host = bind.slice(0, bind.lastIndexOf(':'));
    this._host = ['0.0.0.0', '', '[::]'].includes(host) ? '127.0.0.1' : host;
    /** The bound port. */
    this.port = c.cinnox_receiver_port(rx);
    /** The port of `GET /metrics`, or null. */
    this.metricsPort = c.cinnox_receiver_metrics_port(rx) || null;
  }

  /** `http://host:port/path` on this machine. */
  get url() {
    return `http://${this._host}:${this.port}${this.path}`;
  }

  /** Whether `close()` was called. */
  get closed() {
    return this._h.closing;
  }

  /** The next event; blocks the thread (`TimeoutError` after `timeout` ms, `ClosedError`
   * once shut down). Prefer `recvAsync` in a server. */
  recv({ timeout } = {}) {
    return receive(this._h, c.cinnox_receiver_recv, timeout);
  }

  /** The next event, as a promise; the wait runs off the event loop. */
  recvAsync({ timeout } = {}) {
    return receiveAsync(this._h, c.cinnox_receiver_recv, timeout);
  }

  /** `for await (const delivery of receiver)`: deliveries until the receiver is shut down. */
  [Symbol.asyncIterator]() {
    return deliveries(() => this.recvAsync());
  }

  /**
   * Run `handler(event)` (sync or async) for every event, at most `workers` at once, until
   * the receiver is shut down; resolves then, once running handlers finished. A handler
   * that returns (or resolves) acknowledges the event; one that throws (or rejects) fails
   * it, so CINNOX delivers it again, and `onError(error, event)` is called (default: a
   * line on stderr). One wait for events runs off the event loop at a time.
   */
  async serve(handler, { workers = 1, onError } = {}) {
    if (!Number.isInteger(workers) || workers < 1) {
      throw new errors.InvalidArgumentError(`workers must be an integer >= 1 (got ${workers})`, { code: 2 });
    }
    const report =
      onError ||
      ((e) => {
        console.error('cinnox: the handler failed; the event is failed:', e);
      });
    const running = new Set();
    for (;;) {
      while (running.size >= workers) await Promise.race(running);
      let d;
      try {
        d = await this.recvAsync();
      } catch (e) {
        if (e instanceof ClosedError) break;
        throw e;
      }
      const job = (async () => {
        try {
          await handler(d.event);
          d.ack();
        } catch (e) {
          if (!d.answered) d.fail();
          try {
            report(e, d.event);
          } catch {
            // the reporter's own failure changes nothing
          }
        }
      })();
      running.add(job);
      job.finally(() => running.delete(job));
    }
    await Promise.all(running);
  }

  /** Stop accepting, let in-flight deliveries finish, wake `recv` and `serve`. Returns at
   * once; idempotent. */
  shutdown() {
    if (this._h.closing) return;
    this._h.use((p) => check(c.cinnox_receiver_shutdown(p)));
  }

  /** The counters, by their camelCase names (`requests`, `refusedNotFound`, …, and since
   * 0.2 `fdExhaustions`, `slowReaders`, `storeFailures`), each read by one call
   * (`cinnox_receiver_counter`): they only grow (but `openConnections`, a gauge), so one
   * read later may count a request one read earlier does not. */
  stats() {
    const camel = (n) => n.replace(/_([a-z])/g, (_, x) => x.toUpperCase());
    return this._h.use((p) => {
      const value = [0];
      return Object.fromEntries(
        ffi.COUNTERS.map((n, i) => {
          check(c.cinnox_receiver_counter(p, i + 1, value));
          return [camel(n), Number(value[0])];
        }),
      );
    });
  }

  /** The receiver's metrics in the Prometheus text format. */
  metrics() {
    return this._h.use((p) => {
      const out = [null];
      check(c.cinnox_receiver_metrics(p, out));
      try {
        return ffi.koffi.decode(out[0], 'char', -1);
      } finally {
        c.cinnox_string_free(out[0]);
      }
    });
  }

  /** Shut down and free the receiver (idempotent); waits for nothing: the free happens
   * when the last running call returns. */
  close() {
    this._h.close((p) => c.cinnox_receiver_shutdown(p));
  }
}

// ---------------------------------------------------------------------------------------
// Sandbox

/** Other wire shapes the spec allows, for the sandbox's triggers (OR them). */
const Wire = Object.freeze({
  NUMBERS_AS_JSON_NUMBERS: 1,
  CALLEES_AS_ARRAY: 2,
  WITHOUT_ENVELOPE: 4,
});

function records(r) {
  try {
    const out = [];
    const n = Number(c.cinnox_trigger_result_count(r));
    for (let i = 0; i < n; i++) {
      const attempts = Number(c.cinnox_trigger_result_attempts(r, i));
      const statuses = [];
      for (let a = 0; a < attempts; a++) statuses.push(c.cinnox_trigger_result_status(r, i, a));
      out.push({
        delivered: c.cinnox_trigger_result_delivered(r, i),
        attempts,
        statuses,
        latencyMs: Number(c.cinnox_trigger_result_latency_us(r, i)) / 1000,
      });
    }
    return out;
  } finally {
    c.cinnox_trigger_result_free(r);
  }
}

/**
 * CINNOX on this machine, for tests and trying things out. A trigger delivers an event to
 * every URL subscribed to its family and waits until each receiver answered, and a receiver
 * answers once the application answered: so in one Node thread use the `…Async` triggers
 * (a blocking trigger would wait for a `recvAsync` that cannot run meanwhile, and report
 * every attempt failed after the delivery timeouts).
 */
class Sandbox {
  constructor({ appId, appToken, deliveryTimeout, redeliveryDelays } = {}) {
    const out = [null];
    if (deliveryTimeout === undefined && redeliveryDelays === undefined) {
      check(c.cinnox_sandbox_start(out));
    } else {
      const delays = (redeliveryDelays || []).map((d) => ms(d));
      check(c.cinnox_sandbox_start_with(ms(deliveryTimeout), delays.length ? delays : null, delays.length, out));
    }
    this._h = new Handle(out[0], c.cinnox_sandbox_free, 'sandbox');
    /** The base URL to give `Client`. */
    this.baseUrl = c.cinnox_sandbox_base_url(out[0]);
    if (appId !== undefined || appToken !== undefined) this.addApp(appId, appToken);
  }

  /** Accept the App ID `appId` with the App Token `appToken`. */
  addApp(appId, appToken) {
    this._h.use((p) => check(c.cinnox_sandbox_add_app(p, appId, appToken)));
  }

  /** Subscriptions held now. */
  get subscriptionCount() {
    return this._h.use((p) => Number(c.cinnox_sandbox_subscription_count(p)));
  }

  _trigger(fn, args) {
    return this._h.use((p) => {
      const out = [null];
      check(fn(p, ...args, out));
      return records(out[0]);
    });
  }

  _triggerAsync(fn, args) {
    return this._h.useAsync(async (p) => {
      const out = [null];
      const rc = await callAsync(fn, p, ...args, out);
      if (rc !== ffi.OK) throw asyncError(rc, 'trigger');
      return records(out[0]);
    });
  }

  /** Deliver the JSON text `json`, as is, to the URLs subscribed to `kind`; blocks. */
  triggerJson(kind, json) {
    return this._trigger(c.cinnox_sandbox_trigger_json, [events.familyOf(kind), json]);
  }

  triggerJsonAsync(kind, json) {
    let family;
    try {
      family = events.familyOf(kind);
    } catch (e) {
      return Promise.reject(e);
    }
    return this._triggerAsync(c.cinnox_sandbox_trigger_json, [family, json]);
  }

  /** Deliver a call start (omitted fields: realistic defaults; the call ID random). */
  triggerCallStart({ callId = null, callerNumber = null, calleeNumber = null, wire = 0 } = {}) {
    return this._trigger(c.cinnox_sandbox_trigger_call_start, [callId, callerNumber, calleeNumber, wire]);
  }

  triggerCallStartAsync({ callId = null, callerNumber = null, calleeNumber = null, wire = 0 } = {}) {
    return this._triggerAsync(c.cinnox_sandbox_trigger_call_start, [callId, callerNumber, calleeNumber, wire]);
  }

  /** Deliver a call end for `callId` (omitted: a random ID). */
  triggerCallEnd({ callId = null, wire = 0 } = {}) {
    return this._trigger(c.cinnox_sandbox_trigger_call_end, [callId, wire]);
  }

  triggerCallEndAsync({ callId = null, wire = 0 } = {}) {
    return this._triggerAsync(c.cinnox_sandbox_trigger_call_end, [callId, wire]);
  }

  /** Deliver an inbound SMS. */
  triggerInboundSms({ senderNumber = null, recipientNumber = null, content = null, wire = 0 } = {}) {
    return this._trigger(c.cinnox_sandbox_trigger_inbound_sms, [senderNumber, recipientNumber, content, wire]);
  }

  triggerInboundSmsAsync({ senderNumber = null, recipientNumber = null, content = null, wire = 0 } = {}) {
    return this._triggerAsync(c.cinnox_sandbox_trigger_inbound_sms, [senderNumber, recipientNumber, content, wire]);
  }

  /** Deliver an outbound SMS delivery report (`status`: "Delivered", "Undelivered", …). */
  triggerDeliveryReport({ transactionId = null, status = null, wire = 0 } = {}) {
    return this._trigger(c.cinnox_sandbox_trigger_outbound_sms, [transactionId, status, wire]);
  }

  triggerDeliveryReportAsync({ transactionId = null, status = null, wire = 0 } = {}) {
    return this._triggerAsync(c.cinnox_sandbox_trigger_outbound_sms, [transactionId, status, wire]);
  }

  /** Stop the sandbox (idempotent). */
  close() {
    this._h.close();
  }
}

/** Parse a webhook body (a Buffer or string) into its event, for a server of your own. */
function parse(body) {
  const buf = Buffer.isBuffer(body) ? body : Buffer.from(String(body));
  const out = [null];
  check(c.cinnox_parse(buf, buf.length, out));
  try {
    if (c.cinnox_event_get_type(out[0]) === 1) {
      throw new errors.WrongTypeError('this body is a URL-verification challenge, not an event', { code: 11 });
    }
    return events.fromPointer(out[0]);
  } finally {
    c.cinnox_event_free(out[0]);
  }
}

/** The version of the cinnox library this package loads. */
function libraryVersion() {
  return c.cinnox_version();
}

module.exports = {
  Client,
  Receiver,
  Delivery,
  Inbox,
  Sandbox,
  Wire,
  EventKind: events.EventKind,
  DeliveryStatus: events.DeliveryStatus,
  Event: events.Event,
  CallStart: events.CallStart,
  CallEnd: events.CallEnd,
  InboundSms: events.InboundSms,
  DeliveryReport: events.DeliveryReport,
  Other: events.Other,
  CinnoxError: errors.CinnoxError,
  Error: errors.CinnoxError,
  InvalidArgumentError: errors.InvalidArgumentError,
  TransportError: errors.TransportError,
  TimeoutError: errors.TimeoutError,
  ApiError: errors.ApiError,
  UnexpectedResponseError: errors.UnexpectedResponseError,
  BadRequestError: errors.BadRequestError,
  IoError: errors.IoError,
  ClosedError: errors.ClosedError,
  WrongTypeError: errors.WrongTypeError,
  CODE_INVALID_TOKEN: 6452000,
  parse,
  libraryVersion,
  libraryFile: ffi.file,
};
