'use strict';
// The C ABI of the cinnox library (include/cinnox.h), declared for koffi. Not public: the
// classes in index.js wrap it.

const path = require('path');
const koffi = require('koffi');

const NAME = process.platform === 'darwin' ? 'libcinnox.dylib' : 'libcinnox.so';

function load() {
  const file = process.env.CINNOX_LIBRARY || path.join(__dirname, '..', 'native', NAME);
  try {
    return koffi.load(file);
  } catch (e) {
    throw new Error(
      `cannot load the cinnox library from ${file}: ${e.message} ` +
        '(reinstall the package, or set CINNOX_LIBRARY to a libcinnox)',
    );
  }
}

const lib = load();

for (const name of [
  'cinnox_client',
  'cinnox_client_builder',
  'cinnox_subscription',
  'cinnox_event',
  'cinnox_receiver_config',
  'cinnox_receiver_config_builder',
  'cinnox_receiver',
  'cinnox_delivery',
  'cinnox_inbox',
  'cinnox_inbox_builder',
  'cinnox_inbox_snapshot',
  'cinnox_sandbox',
  'cinnox_trigger_result',
]) {
  koffi.opaque(name);
}

const Party = koffi.struct('cinnox_party', { eid: 'const char *', number: 'const char *' });
const Call = koffi.struct('cinnox_call', {
  id: 'const char *',
  service_id: 'const char *',
  caller: 'cinnox_party',
  callees: 'void *',
  callee_count: 'size_t',
});
const InboundSms = koffi.struct('cinnox_inbound_sms', {
  id: 'const char *',
  event_description: 'const char *',
  sender_number: 'const char *',
  recipient_number: 'const char *',
  receive_time: 'const char *',
  content_type: 'const char *',
  content: 'void *',
  content_len: 'size_t',
});
const OutboundSms = koffi.struct('cinnox_outbound_sms', {
  report_type: 'const char *',
  app_id: 'const char *',
  service_id: 'const char *',
  transaction_id: 'const char *',
  recipient_number: 'const char *',
  recipient_country: 'const char *',
  response_code: 'const char *',
  status: 'uint32_t',
  status_text: 'const char *',
  exception: 'const char *',
});
const OtherEvent = koffi.struct('cinnox_other_event', {
  family: 'const char *',
  status: 'const char *',
  id: 'const char *',
});
// The receiver's counters, in the order of their CINNOX_COUNTER_* numbers: COUNTERS[i] is
// read by cinnox_receiver_counter(rx, i + 1, &value) (cinnox_counter_name(i + 1) names it;
// a test holds the two together). A counter added to the library is appended here.
const COUNTERS = [
  'requests',
  'challenges',
  'events',
  'acks',
  'fails',
  'duplicates',
  'refused_not_found',
  'refused_method',
  'refused_too_large',
  'refused_media_type',
  'refused_forbidden',
  'refused_bad_request',
  'handler_panics',
  'refused_connections',
  'read_timeouts',
  'malformed_requests',
  'expired_deliveries',
  'evicted_connections',
  'open_connections',
  'fd_exhaustions',
  'slow_readers',
  'store_failures',
];

const PROTOTYPES = [
  'const char *cinnox_version(void)',
  'const char *cinnox_last_error_message(void)',
  'uint16_t cinnox_last_error_http_status(void)',
  'int64_t cinnox_last_error_api_code(void)',
  'const char *cinnox_result_name(uint32_t result)',

  'uint32_t cinnox_client_new(const char *base_url, const char *app_token, _Out_ cinnox_client **out)',
  'void cinnox_client_free(cinnox_client *client)',
  'uint32_t cinnox_client_builder_new(const char *base_url, const char *app_token, _Out_ cinnox_client_builder **out)',
  'uint32_t cinnox_client_builder_set_timeouts(cinnox_client_builder *builder, uint32_t connect_ms, uint32_t timeout_ms)',
  'uint32_t cinnox_client_builder_set_user_agent(cinnox_client_builder *builder, const char *ua)',
  'uint32_t cinnox_client_builder_build(cinnox_client_builder *builder, _Out_ cinnox_client **out)',
  'void cinnox_client_builder_free(cinnox_client_builder *builder)',
  'uint32_t cinnox_client_subscribe(const cinnox_client *client, const char *app_id, uint32_t kind, const char *url, _Out_ cinnox_subscription **out)',
  'uint32_t cinnox_client_unsubscribe(const cinnox_client *client, const char *app_id, uint32_t kind, const char *url, _Out_ cinnox_subscription **out)',
  'bool cinnox_subscription_enabled(const cinnox_subscription *sub)',
  'const char *cinnox_subscription_url(const cinnox_subscription *sub)',
  'const char *cinnox_subscription_updated_at(const cinnox_subscription *sub)',
  'void cinnox_subscription_free(cinnox_subscription *sub)',

  'uint32_t cinnox_parse(const uint8_t *body, size_t len, _Out_ cinnox_event **out)',
  'void cinnox_event_free(cinnox_event *ev)',
  'uint32_t cinnox_event_get_type(const cinnox_event *ev)',
  'const uint8_t *cinnox_event_raw(const cinnox_event *ev, _Out_ size_t *len)',
  'const cinnox_call *cinnox_event_call(const cinnox_event *ev)',
  'const cinnox_inbound_sms *cinnox_event_inbound_sms(const cinnox_event *ev)',
  'const cinnox_outbound_sms *cinnox_event_outbound_sms(const cinnox_event *ev)',
  'const cinnox_other_event *cinnox_event_other(const cinnox_event *ev)',
  'const char *cinnox_event_dedup_key(const cinnox_event *ev)',

  'uint32_t cinnox_receiver_config_builder_new(const char *path, _Out_ cinnox_receiver_config_builder **out)',
  'uint32_t cinnox_receiver_config_builder_set_max_body(cinnox_receiver_config_builder *builder, size_t bytes)',
  'uint32_t cinnox_receiver_config_builder_allow_source(cinnox_receiver_config_builder *builder, const char *cidr)',
  'uint32_t cinnox_receiver_config_builder_trust_proxy(cinnox_receiver_config_builder *builder, const char *cidr)',
  'uint32_t cinnox_receiver_config_builder_set_dedup_window(cinnox_receiver_config_builder *builder, uint32_t ms)',
  'uint32_t cinnox_receiver_config_builder_set_max_connections(cinnox_receiver_config_builder *builder, size_t n)',
  'uint32_t cinnox_receiver_config_builder_set_io_threads(cinnox_receiver_config_builder *builder, size_t n)',
  'uint32_t cinnox_receiver_config_builder_set_header_timeout(cinnox_receiver_config_builder *builder, uint32_t ms)',
  'uint32_t cinnox_receiver_config_builder_set_per_source_limit(cinnox_receiver_config_builder *builder, size_t n)',
  'uint32_t cinnox_receiver_config_builder_set_inbox(cinnox_receiver_config_builder *builder, const cinnox_inbox *inbox)',
  'uint32_t cinnox_receiver_config_builder_set_metrics_bind(cinnox_receiver_config_builder *builder, const char *addr)',
  'uint32_t cinnox_receiver_config_builder_build(cinnox_receiver_config_builder *builder, _Out_ cinnox_receiver_config **out)',
  'void cinnox_receiver_config_builder_free(cinnox_receiver_config_builder *builder)',
  'void cinnox_receiver_config_free(cinnox_receiver_config *config)',
  'uint32_t cinnox_receiver_new_with_config(const char *bind, const cinnox_receiver_config *config, _Out_ cinnox_receiver **out)',
  'uint16_t cinnox_receiver_port(const cinnox_receiver *rx)',
  'uint16_t cinnox_receiver_metrics_port(const cinnox_receiver *rx)',
  'uint32_t cinnox_receiver_recv(const cinnox_receiver *rx, uint32_t timeout_ms, _Out_ cinnox_delivery **out)',
  'uint32_t cinnox_receiver_shutdown(const cinnox_receiver *rx)',
  'uint32_t cinnox_receiver_counter(const cinnox_receiver *rx, uint32_t which, _Out_ uint64_t *value)',
  'const char *cinnox_counter_name(uint32_t which)',
  'uint32_t cinnox_receiver_metrics(const cinnox_receiver *rx, _Out_ void **out)',
  'void cinnox_receiver_free(cinnox_receiver *rx)',
  'void cinnox_string_free(void *s)',
  'const cinnox_event *cinnox_delivery_event(const cinnox_delivery *d)',
  'uint32_t cinnox_delivery_ack(cinnox_delivery *d)',
  'uint32_t cinnox_delivery_fail(cinnox_delivery *d)',
  'void cinnox_delivery_free(cinnox_delivery *d)',

  'uint32_t cinnox_inbox_open(const char *location, _Out_ cinnox_inbox **out)',
  'void cinnox_inbox_free(cinnox_inbox *inbox)',
  'uint32_t cinnox_inbox_builder_new(const char *location, _Out_ cinnox_inbox_builder **out)',
  'uint32_t cinnox_inbox_builder_set_retry(cinnox_inbox_builder *builder, uint32_t attempts, uint32_t first_ms, uint32_t max_ms)',
  'uint32_t cinnox_inbox_builder_build(cinnox_inbox_builder *builder, _Out_ cinnox_inbox **out)',
  'void cinnox_inbox_builder_free(cinnox_inbox_builder *builder)',
  'uint32_t cinnox_inbox_recv(const cinnox_inbox *inbox, uint32_t timeout_ms, _Out_ cinnox_delivery **out)',
  'uint32_t cinnox_inbox_snapshot_new(const cinnox_inbox *inbox, _Out_ cinnox_inbox_snapshot **out)',
  'uint64_t cinnox_inbox_snapshot_pending(const cinnox_inbox_snapshot *snapshot)',
  'uint64_t cinnox_inbox_snapshot_in_flight(const cinnox_inbox_snapshot *snapshot)',
  'uint64_t cinnox_inbox_snapshot_done(const cinnox_inbox_snapshot *snapshot)',
  'uint64_t cinnox_inbox_snapshot_dead(const cinnox_inbox_snapshot *snapshot)',
  'uint64_t cinnox_inbox_snapshot_oldest_pending_age_ms(const cinnox_inbox_snapshot *snapshot)',
  'void cinnox_inbox_snapshot_free(cinnox_inbox_snapshot *snapshot)',
  'uint32_t cinnox_inbox_replay_dead(const cinnox_inbox *inbox, _Out_ uint64_t *replayed)',

  'uint32_t cinnox_sandbox_start(_Out_ cinnox_sandbox **out)',
  'uint32_t cinnox_sandbox_start_with(uint32_t timeout_ms, const uint32_t *delays, size_t count, _Out_ cinnox_sandbox **out)',
  'void cinnox_sandbox_free(cinnox_sandbox *sb)',
  'const char *cinnox_sandbox_base_url(const cinnox_sandbox *sb)',
  'uint32_t cinnox_sandbox_add_app(const cinnox_sandbox *sb, const char *app_id, const char *app_token)',
  'size_t cinnox_sandbox_subscription_count(const cinnox_sandbox *sb)',
  'uint32_t cinnox_sandbox_trigger_json(const cinnox_sandbox *sb, uint32_t kind, const char *json, _Out_ cinnox_trigger_result **out)',
  'uint32_t cinnox_sandbox_trigger_call_start(const cinnox_sandbox *sb, const char *call_id, const char *caller, const char *callee, uint32_t wire, _Out_ cinnox_trigger_result **out)',
  'uint32_t cinnox_sandbox_trigger_call_end(const cinnox_sandbox *sb, const char *call_id, uint32_t wire, _Out_ cinnox_trigger_result **out)',
  'uint32_t cinnox_sandbox_trigger_inbound_sms(const cinnox_sandbox *sb, const char *sender, const char *recipient, const char *content, uint32_t wire, _Out_ cinnox_trigger_result **out)',
  'uint32_t cinnox_sandbox_trigger_outbound_sms(const cinnox_sandbox *sb, const char *transaction_id, const char *status, uint32_t wire, _Out_ cinnox_trigger_result **out)',
  'size_t cinnox_trigger_result_count(const cinnox_trigger_result *r)',
  'bool cinnox_trigger_result_delivered(const cinnox_trigger_result *r, size_t i)',
  'size_t cinnox_trigger_result_attempts(const cinnox_trigger_result *r, size_t i)',
  'uint16_t cinnox_trigger_result_status(const cinnox_trigger_result *r, size_t i, size_t attempt)',
  'uint64_t cinnox_trigger_result_latency_us(const cinnox_trigger_result *r, size_t i)',
  'void cinnox_trigger_result_free(cinnox_trigger_result *r)',
];

const c = {};
for (const proto of PROTOTYPES) {
  const fn = lib.func(proto);
  const name = proto.match(/(cinnox_[a-z0-9_]+)\(/)[1];
  c[name] = fn;
}

module.exports = {
  koffi,
  c,
  Party,
  Call,
  InboundSms,
  OutboundSms,
  OtherEvent,
  COUNTERS,
  file: process.env.CINNOX_LIBRARY || path.join(__dirname, '..', 'native', NAME),
  OK: 0,
  ERR_TIMEOUT: 4,
  ERR_CLOSED: 9,
  WAIT_FOREVER: 0xffffffff,
};
