/* Misuse of the C API must give result codes, never a crash:
 * - every function with NULL for each pointer argument,
 * - _free(NULL) for every handle type,
 * - strings that are not UTF-8.
 * Prints "misuse ok" and exits 0 when every check holds. */
#include "cinnox.h"

#include <stdio.h>
#include <string.h>

static int fails = 0;
static int checks = 0;

#define EXPECT(call, code)                                                                   \
    do {                                                                                     \
        cinnox_result r_ = (call);                                                           \
        checks++;                                                                            \
        if (r_ != (code)) {                                                                  \
            printf("FAIL line %d: %s gave %s, wanted %s\n", __LINE__, #call,                 \
                   cinnox_result_name(r_), cinnox_result_name(code));                         \
            fails++;                                                                         \
        } else if (r_ != CINNOX_OK && cinnox_last_error_message()[0] == '\0') {              \
            printf("FAIL line %d: %s left no message\n", __LINE__, #call);                   \
            fails++;                                                                         \
        }                                                                                    \
    } while (0)

#define CHECK(cond)                                                                          \
    do {                                                                                     \
        checks++;                                                                            \
        if (!(cond)) {                                                                       \
            printf("FAIL line %d: %s\n", __LINE__, #cond);                                   \
            fails++;                                                                         \
        }                                                                                    \
    } while (0)

#define NUL CINNOX_ERR_NULL_ARGUMENT
#define INV CINNOX_ERR_INVALID_ARGUMENT

static const char BAD_UTF8[] = {'h', 't', 't', 'p', (char)0xff, (char)0xfe, 0};

static void client_misuse(void) {
    cinnox_client *c = NULL;
    cinnox_subscription *s = NULL;
    const char *u = "http://127.0.0.1:9/hook";

    EXPECT(cinnox_client_new(NULL, "t", &c), NUL);
    EXPECT(cinnox_client_new("http://127.0.0.1:9", NULL, &c), NUL);
    EXPECT(cinnox_client_new("http://127.0.0.1:9", "t", NULL), NUL);
    EXPECT(cinnox_client_new(BAD_UTF8, "t", &c), INV);
    EXPECT(cinnox_client_new("http://127.0.0.1:9", BAD_UTF8, &c), INV);
    CHECK(c == NULL);
    EXPECT(cinnox_client_new("http://127.0.0.1:9", "t", &c), CINNOX_OK);
    CHECK(c != NULL);
    CHECK(cinnox_last_error_message()[0] == '\0');

    {
        cinnox_client_builder *b = NULL;
        cinnox_client *built = NULL;
        EXPECT(cinnox_client_builder_new(NULL, "t", &b), NUL);
        EXPECT(cinnox_client_builder_new("http://127.0.0.1:9", NULL, &b), NUL);
        EXPECT(cinnox_client_builder_new("http://127.0.0.1:9", "t", NULL), NUL);
        EXPECT(cinnox_client_builder_new(BAD_UTF8, "t", &b), INV);
        CHECK(b == NULL);
        EXPECT(cinnox_client_builder_new("http://127.0.0.1:9", "t", &b), CINNOX_OK);
        EXPECT(cinnox_client_builder_set_timeouts(NULL, 1, 1), NUL);
        EXPECT(cinnox_client_builder_set_retry(NULL, 1, 1, 1, 1), NUL);
        EXPECT(cinnox_client_builder_set_retry(b, 0, 1, 1, 1), INV);
        EXPECT(cinnox_client_builder_set_user_agent(NULL, "ua"), NUL);
        EXPECT(cinnox_client_builder_set_user_agent(b, NULL), NUL);
        EXPECT(cinnox_client_builder_set_user_agent(b, BAD_UTF8), INV);
        EXPECT(cinnox_client_builder_build(NULL, &built), NUL);
        /* A NULL out still consumes the builder (valgrind sees no leak). */
        EXPECT(cinnox_client_builder_build(b, NULL), NUL);
        b = NULL;
        /* A bad URL is refused by the build, which frees the builder all the same. */
        EXPECT(cinnox_client_builder_new("not a url", "t", &b), CINNOX_OK);
        EXPECT(cinnox_client_builder_build(b, &built), INV);
        CHECK(built == NULL);
        EXPECT(cinnox_client_builder_new("http://127.0.0.1:9", "t", &b), CINNOX_OK);
        EXPECT(cinnox_client_builder_set_timeouts(b, 100, 200), CINNOX_OK);
        EXPECT(cinnox_client_builder_build(b, &built), CINNOX_OK);
        CHECK(built != NULL);
        cinnox_client_free(built);
    }

    EXPECT(cinnox_client_set_subscription(NULL, "a", CINNOX_EVENT_KIND_CALL, true, u, &s), NUL);
    EXPECT(cinnox_client_set_subscription(c, NULL, CINNOX_EVENT_KIND_CALL, true, u, &s), NUL);
    EXPECT(cinnox_client_set_subscription(c, "a", CINNOX_EVENT_KIND_CALL, true, NULL, &s), NUL);
    EXPECT(cinnox_client_set_subscription(c, "a", CINNOX_EVENT_KIND_CALL, true, u, NULL), NUL);
    EXPECT(cinnox_client_set_subscription(c, BAD_UTF8, CINNOX_EVENT_KIND_CALL, true, u, &s), INV);
    EXPECT(cinnox_client_set_subscription(c, "a", CINNOX_EVENT_KIND_CALL, true, BAD_UTF8, &s), INV);
    EXPECT(cinnox_client_set_subscription(c, "a", 0, true, u, &s), INV);
    EXPECT(cinnox_client_set_subscription(c, "a", 10, true, u, &s), INV);

    EXPECT(cinnox_client_set_subscription_slug(NULL, "a", "x-event-sub", true, u, &s), NUL);
    EXPECT(cinnox_client_set_subscription_slug(c, NULL, "x-event-sub", true, u, &s), NUL);
    EXPECT(cinnox_client_set_subscription_slug(c, "a", NULL, true, u, &s), NUL);
    EXPECT(cinnox_client_set_subscription_slug(c, "a", "x-event-sub", true, NULL, &s), NUL);
    EXPECT(cinnox_client_set_subscription_slug(c, "a", "x-event-sub", true, u, NULL), NUL);
    EXPECT(cinnox_client_set_subscription_slug(c, "a", BAD_UTF8, true, u, &s), INV);

    EXPECT(cinnox_client_subscribe(NULL, "a", CINNOX_EVENT_KIND_CALL, u, &s), NUL);
    EXPECT(cinnox_client_subscribe(c, NULL, CINNOX_EVENT_KIND_CALL, u, &s), NUL);
    EXPECT(cinnox_client_subscribe(c, "a", CINNOX_EVENT_KIND_CALL, NULL, &s), NUL);
    EXPECT(cinnox_client_subscribe(c, "a", CINNOX_EVENT_KIND_CALL, u, NULL), NUL);
    EXPECT(cinnox_client_subscribe(c, BAD_UTF8, CINNOX_EVENT_KIND_CALL, u, &s), INV);
    EXPECT(cinnox_client_unsubscribe(NULL, "a", CINNOX_EVENT_KIND_CALL, u, &s), NUL);
    EXPECT(cinnox_client_unsubscribe(c, NULL, CINNOX_EVENT_KIND_CALL, u, &s), NUL);
    EXPECT(cinnox_client_unsubscribe(c, "a", CINNOX_EVENT_KIND_CALL, NULL, &s), NUL);
    EXPECT(cinnox_client_unsubscribe(c, "a", CINNOX_EVENT_KIND_CALL, u, NULL), NUL);
    EXPECT(cinnox_client_unsubscribe(c, "a", CINNOX_EVENT_KIND_CALL, BAD_UTF8, &s), INV);
    CHECK(s == NULL);

    CHECK(cinnox_subscription_enabled(NULL) == false);
    CHECK(cinnox_subscription_url(NULL) == NULL);
    CHECK(cinnox_subscription_updated_at(NULL) == NULL);
    cinnox_client_free(c);
}

static void event_misuse(void) {
    static const char body[] = "{\"challenge\":\"abc\"}";
    cinnox_event *ev = NULL;
    const uint8_t *reply = NULL;
    size_t len = 99;

    EXPECT(cinnox_parse(NULL, 0, &ev), NUL);
    EXPECT(cinnox_parse(NULL, 5, &ev), NUL);
    EXPECT(cinnox_parse((const uint8_t *)body, sizeof body - 1, NULL), NUL);
    EXPECT(cinnox_parse((const uint8_t *)"{\"id\":\"\xff\"}", 10, &ev), CINNOX_ERR_BAD_REQUEST);
    EXPECT(cinnox_parse((const uint8_t *)body, 0, &ev), CINNOX_ERR_BAD_REQUEST);
    CHECK(ev == NULL);

    CHECK(cinnox_event_get_type(NULL) == CINNOX_EVENT_TYPE_NONE);
    CHECK(cinnox_event_raw(NULL, &len) == NULL && len == 0);
    CHECK(cinnox_event_raw(NULL, NULL) == NULL);
    CHECK(cinnox_event_call(NULL) == NULL);
    CHECK(cinnox_event_inbound_sms(NULL) == NULL);
    CHECK(cinnox_event_outbound_sms(NULL) == NULL);
    CHECK(cinnox_event_other(NULL) == NULL);
    CHECK(cinnox_event_challenge(NULL) == NULL);
    CHECK(cinnox_event_dedup_key(NULL) == NULL);

    EXPECT(cinnox_parse((const uint8_t *)body, sizeof body - 1, &ev), CINNOX_OK);
    CHECK(cinnox_event_raw(ev, NULL) != NULL);
    EXPECT(cinnox_challenge_reply(NULL, &reply, &len), NUL);
    EXPECT(cinnox_challenge_reply(ev, NULL, &len), NUL);
    EXPECT(cinnox_challenge_reply(ev, &reply, NULL), NUL);
    CHECK(reply == NULL);
    cinnox_event_free(ev);
}

static int dummy_handler(void *userdata, const cinnox_event *ev) {
    (void)userdata;
    (void)ev;
    return 0;
}

static void receiver_misuse(void) {
    cinnox_receiver_config_builder *b = NULL;
    cinnox_receiver_config *cfg = NULL;
    cinnox_receiver *rx = NULL;
    cinnox_delivery *d = NULL;
    uint64_t value = 7;

    EXPECT(cinnox_receiver_config_builder_new(NULL, &b), NUL);
    EXPECT(cinnox_receiver_config_builder_new("/p", NULL), NUL);
    EXPECT(cinnox_receiver_config_builder_new(BAD_UTF8, &b), INV);
    EXPECT(cinnox_receiver_config_builder_new("/", &b), INV);
    CHECK(b == NULL);
    EXPECT(cinnox_receiver_config_builder_new("/p", &b), CINNOX_OK);
    EXPECT(cinnox_receiver_config_builder_set_max_body(NULL, 1), NUL);
    EXPECT(cinnox_receiver_config_builder_allow_source(NULL, "127.0.0.1/32"), NUL);
    EXPECT(cinnox_receiver_config_builder_allow_source(b, NULL), NUL);
    EXPECT(cinnox_receiver_config_builder_allow_source(b, BAD_UTF8), INV);
    EXPECT(cinnox_receiver_config_builder_allow_source(b, "not a network"), INV);
    EXPECT(cinnox_receiver_config_builder_trust_proxy(NULL, "127.0.0.1/32"), NUL);
    EXPECT(cinnox_receiver_config_builder_trust_proxy(b, NULL), NUL);
    EXPECT(cinnox_receiver_config_builder_trust_proxy(b, BAD_UTF8), INV);
    EXPECT(cinnox_receiver_config_builder_set_dedup_window(NULL, 1), NUL);
    EXPECT(cinnox_receiver_config_builder_set_dedup_capacity(NULL, 1), NUL);
    EXPECT(cinnox_receiver_config_builder_set_timeouts(NULL, 1, 1, 1), NUL);
    EXPECT(cinnox_receiver_config_builder_set_max_connections(NULL, 1), NUL);
    EXPECT(cinnox_receiver_config_builder_set_max_connections(b, 0), INV);
    EXPECT(cinnox_receiver_config_builder_set_io_threads(NULL, 1), NUL);
    EXPECT(cinnox_receiver_config_builder_set_io_threads(b, 0), INV);
    EXPECT(cinnox_receiver_config_builder_set_io_threads(b, CINNOX_MAX_IO_THREADS + 1), INV);
    EXPECT(cinnox_receiver_config_builder_set_header_timeout(NULL, 1), NUL);
    EXPECT(cinnox_receiver_config_builder_set_header_timeout(b, 0), INV);
    EXPECT(cinnox_receiver_config_builder_set_per_source_limit(NULL, 1), NUL);
    EXPECT(cinnox_receiver_config_builder_set_metrics_bind(NULL, "127.0.0.1:0"), NUL);
    EXPECT(cinnox_receiver_config_builder_set_metrics_bind(b, NULL), NUL);
    EXPECT(cinnox_receiver_config_builder_set_metrics_bind(b, "localhost"), INV);
    EXPECT(cinnox_receiver_config_builder_set_inbox(NULL, NULL), NUL);
    EXPECT(cinnox_receiver_config_builder_set_inbox(b, NULL), NUL);
    EXPECT(cinnox_receiver_config_builder_build(NULL, &cfg), NUL);
    EXPECT(cinnox_receiver_config_builder_build(b, &cfg), CINNOX_OK);
    b = NULL;
    /* A NULL out still consumes the builder (valgrind sees no leak). */
    EXPECT(cinnox_receiver_config_builder_new("/p", &b), CINNOX_OK);
    EXPECT(cinnox_receiver_config_builder_build(b, NULL), NUL);
    b = NULL;

    EXPECT(cinnox_receiver_new(NULL, "/p", &rx), NUL);
    EXPECT(cinnox_receiver_new("127.0.0.1:0", NULL, &rx), NUL);
    EXPECT(cinnox_receiver_new("127.0.0.1:0", "/p", NULL), NUL);
    EXPECT(cinnox_receiver_new(BAD_UTF8, "/p", &rx), INV);
    EXPECT(cinnox_receiver_new("127.0.0.1:0", BAD_UTF8, &rx), INV);
    EXPECT(cinnox_receiver_new_with_config(NULL, cfg, &rx), NUL);
    EXPECT(cinnox_receiver_new_with_config("127.0.0.1:0", NULL, &rx), NUL);
    EXPECT(cinnox_receiver_new_with_config("127.0.0.1:0", cfg, NULL), NUL);
    EXPECT(cinnox_receiver_new_with_config(BAD_UTF8, cfg, &rx), INV);
    CHECK(rx == NULL);
    EXPECT(cinnox_receiver_new_with_config("127.0.0.1:0", cfg, &rx), CINNOX_OK);
    cinnox_receiver_config_free(cfg);

    CHECK(cinnox_receiver_port(NULL) == 0);
    CHECK(cinnox_receiver_port(rx) != 0);
    EXPECT(cinnox_receiver_recv(NULL, 0, &d), NUL);
    EXPECT(cinnox_receiver_recv(rx, 0, NULL), NUL);
    EXPECT(cinnox_receiver_recv(rx, 0, &d), CINNOX_ERR_TIMEOUT);
    CHECK(d == NULL);
    EXPECT(cinnox_receiver_serve(NULL, 1, dummy_handler, NULL), NUL);
    EXPECT(cinnox_receiver_serve(rx, 1, NULL, NULL), NUL);
    EXPECT(cinnox_receiver_counter(NULL, CINNOX_COUNTER_REQUESTS, &value), NUL);
    EXPECT(cinnox_receiver_counter(rx, CINNOX_COUNTER_REQUESTS, NULL), NUL);
    EXPECT(cinnox_receiver_counter(rx, 0, &value), INV);
    EXPECT(cinnox_receiver_counter(rx, CINNOX_COUNTER_END, &value), INV);
    CHECK(value == 7);
    EXPECT(cinnox_receiver_counter(rx, CINNOX_COUNTER_REQUESTS, &value), CINNOX_OK);
    CHECK(value == 0);
    CHECK(cinnox_counter_name(0) == NULL);
    CHECK(cinnox_counter_name(CINNOX_COUNTER_END) == NULL);
    CHECK(strcmp(cinnox_counter_name(CINNOX_COUNTER_STORE_FAILURES), "store_failures") == 0);
    EXPECT(cinnox_receiver_shutdown(NULL), NUL);
    EXPECT(cinnox_receiver_shutdown(rx), CINNOX_OK);
    /* Shut down: serve returns at once, recv says closed. */
    EXPECT(cinnox_receiver_serve(rx, 1, dummy_handler, NULL), CINNOX_OK);
    EXPECT(cinnox_receiver_recv(rx, CINNOX_WAIT_FOREVER, &d), CINNOX_ERR_CLOSED);
    cinnox_receiver_free(rx);

    CHECK(cinnox_delivery_event(NULL) == NULL);
    EXPECT(cinnox_delivery_ack(NULL), NUL);
    EXPECT(cinnox_delivery_fail(NULL), NUL);
}

static void sandbox_misuse(void) {
    cinnox_sandbox *sb = NULL;
    cinnox_trigger_result *t = NULL;
    static const uint32_t delays[] = {1};

    EXPECT(cinnox_sandbox_start(NULL), NUL);
    EXPECT(cinnox_sandbox_start_with(0, NULL, 0, NULL), NUL);
    EXPECT(cinnox_sandbox_start_with(0, NULL, 1, &sb), NUL);
    CHECK(sb == NULL);
    EXPECT(cinnox_sandbox_start_with(100, delays, 1, &sb), CINNOX_OK);
    CHECK(cinnox_sandbox_base_url(NULL) == NULL);
    CHECK(cinnox_sandbox_base_url(sb) != NULL);
    CHECK(cinnox_sandbox_subscription_count(NULL) == 0);
    EXPECT(cinnox_sandbox_add_app(NULL, "a", "t"), NUL);
    EXPECT(cinnox_sandbox_add_app(sb, NULL, "t"), NUL);
    EXPECT(cinnox_sandbox_add_app(sb, "a", NULL), NUL);
    EXPECT(cinnox_sandbox_add_app(sb, BAD_UTF8, "t"), INV);
    EXPECT(cinnox_sandbox_add_app(sb, "a", BAD_UTF8), INV);
    EXPECT(cinnox_sandbox_add_app(sb, "", "t"), INV);

    EXPECT(cinnox_sandbox_trigger_json(NULL, CINNOX_EVENT_KIND_CALL, "{}", &t), NUL);
    EXPECT(cinnox_sandbox_trigger_json(sb, CINNOX_EVENT_KIND_CALL, NULL, &t), NUL);
    EXPECT(cinnox_sandbox_trigger_json(sb, CINNOX_EVENT_KIND_CALL, BAD_UTF8, &t), INV);
    EXPECT(cinnox_sandbox_trigger_json(sb, 77, "{}", &t), INV);
    EXPECT(cinnox_sandbox_trigger_call_start(NULL, NULL, NULL, NULL, 0, &t), NUL);
    EXPECT(cinnox_sandbox_trigger_call_start(sb, BAD_UTF8, NULL, NULL, 0, &t), INV);
    EXPECT(cinnox_sandbox_trigger_call_start(sb, NULL, BAD_UTF8, NULL, 0, &t), INV);
    EXPECT(cinnox_sandbox_trigger_call_start(sb, NULL, NULL, BAD_UTF8, 0, &t), INV);
    EXPECT(cinnox_sandbox_trigger_call_start(sb, NULL, NULL, NULL, 64, &t), INV);
    EXPECT(cinnox_sandbox_trigger_call_end(NULL, NULL, 0, &t), NUL);
    EXPECT(cinnox_sandbox_trigger_call_end(sb, BAD_UTF8, 0, &t), INV);
    EXPECT(cinnox_sandbox_trigger_inbound_sms(NULL, NULL, NULL, NULL, 0, &t), NUL);
    EXPECT(cinnox_sandbox_trigger_inbound_sms(sb, BAD_UTF8, NULL, NULL, 0, &t), INV);
    EXPECT(cinnox_sandbox_trigger_inbound_sms(sb, NULL, BAD_UTF8, NULL, 0, &t), INV);
    EXPECT(cinnox_sandbox_trigger_inbound_sms(sb, NULL, NULL, BAD_UTF8, 0, &t), INV);
    EXPECT(cinnox_sandbox_trigger_outbound_sms(NULL, NULL, NULL, 0, &t), NUL);
    EXPECT(cinnox_sandbox_trigger_outbound_sms(sb, BAD_UTF8, NULL, 0, &t), INV);
    EXPECT(cinnox_sandbox_trigger_outbound_sms(sb, NULL, BAD_UTF8, 0, &t), INV);
    CHECK(t == NULL);
    /* Nothing subscribed: no delivery, and the result says so. */
    EXPECT(cinnox_sandbox_trigger_outbound_sms(sb, NULL, NULL, 0, &t), CINNOX_OK);
    CHECK(cinnox_trigger_result_count(t) == 0);
    CHECK(cinnox_trigger_result_delivered(t, 0) == false);
    CHECK(cinnox_trigger_result_attempts(t, 5) == 0);
    CHECK(cinnox_trigger_result_status(t, 0, 0) == 0);
    CHECK(cinnox_trigger_result_latency_us(t, 0) == 0);
    cinnox_trigger_result_free(t);
    CHECK(cinnox_trigger_result_count(NULL) == 0);
    CHECK(cinnox_trigger_result_delivered(NULL, 0) == false);
    CHECK(cinnox_trigger_result_attempts(NULL, 0) == 0);
    CHECK(cinnox_trigger_result_status(NULL, 0, 0) == 0);
    CHECK(cinnox_trigger_result_latency_us(NULL, 0) == 0);
    cinnox_sandbox_free(sb);
}

static void webhook_misuse(void) {
    cinnox_receiver_config *cfg = NULL;
    cinnox_webhook *wh = NULL;
    cinnox_reply *reply = NULL;
    cinnox_event *ev = NULL;
    const char *name = NULL, *value = NULL;
    static const uint8_t body[] = "{}";
    cinnox_header bad_headers[1];
    bad_headers[0].name = NULL;
    bad_headers[0].value = "v";

    {
        cinnox_receiver_config_builder *b = NULL;
        EXPECT(cinnox_receiver_config_builder_new("/p", &b), CINNOX_OK);
        EXPECT(cinnox_receiver_config_builder_build(b, &cfg), CINNOX_OK);
    }
    EXPECT(cinnox_webhook_new(NULL, &wh), NUL);
    EXPECT(cinnox_webhook_new(cfg, NULL), NUL);
    EXPECT(cinnox_webhook_new(cfg, &wh), CINNOX_OK);
    cinnox_receiver_config_free(cfg);

    EXPECT(cinnox_webhook_handle(NULL, "POST", "/p", NULL, 0, NULL, body, 2, &reply, &ev), NUL);
    EXPECT(cinnox_webhook_handle(wh, NULL, "/p", NULL, 0, NULL, body, 2, &reply, &ev), NUL);
    EXPECT(cinnox_webhook_handle(wh, "POST", NULL, NULL, 0, NULL, body, 2, &reply, &ev), NUL);
    EXPECT(cinnox_webhook_handle(wh, "POST", "/p", NULL, 1, NULL, body, 2, &reply, &ev), NUL);
    EXPECT(cinnox_webhook_handle(wh, "POST", "/p", bad_headers, 1, NULL, body, 2, &reply, &ev), NUL);
    EXPECT(cinnox_webhook_handle(wh, "POST", "/p", NULL, 0, NULL, NULL, 2, &reply, &ev), NUL);
    EXPECT(cinnox_webhook_handle(wh, "POST", "/p", NULL, 0, NULL, body, 2, NULL, &ev), NUL);
    EXPECT(cinnox_webhook_handle(wh, "POST", "/p", NULL, 0, NULL, body, 2, &reply, NULL), NUL);
    EXPECT(cinnox_webhook_handle(wh, BAD_UTF8, "/p", NULL, 0, NULL, body, 2, &reply, &ev), INV);
    EXPECT(cinnox_webhook_handle(wh, "POST", BAD_UTF8, NULL, 0, NULL, body, 2, &reply, &ev), INV);
    EXPECT(cinnox_webhook_handle(wh, "POST", "/p", NULL, 0, BAD_UTF8, body, 2, &reply, &ev), INV);
    bad_headers[0].name = "X";
    bad_headers[0].value = BAD_UTF8;
    EXPECT(cinnox_webhook_handle(wh, "POST", "/p", bad_headers, 1, NULL, body, 2, &reply, &ev), INV);
    CHECK(reply == NULL && ev == NULL);
    /* A body of length 0 may be NULL: an empty body is refused with a reply. */
    EXPECT(cinnox_webhook_handle(wh, "POST", "/p", NULL, 0, NULL, NULL, 0, &reply, &ev), CINNOX_OK);
    CHECK(reply != NULL && ev == NULL && cinnox_reply_status(reply) == 400);

    EXPECT(cinnox_webhook_finish(NULL, ev, true, &reply), NUL);
    EXPECT(cinnox_webhook_finish(wh, NULL, true, &reply), NUL);
    CHECK(cinnox_reply_status(NULL) == 0);
    CHECK(cinnox_reply_body(NULL, NULL) == NULL);
    CHECK(cinnox_reply_header_count(NULL) == 0);
    EXPECT(cinnox_reply_header(NULL, 0, &name, &value), NUL);
    EXPECT(cinnox_reply_header(reply, 0, NULL, &value), NUL);
    EXPECT(cinnox_reply_header(reply, 0, &name, NULL), NUL);
    EXPECT(cinnox_reply_header(reply, 99, &name, &value), INV);
    CHECK(name == NULL && value == NULL);
    cinnox_reply_free(reply);
    cinnox_webhook_free(wh);
}

/* The 0.1 names kept as deprecated aliases: they still check their arguments, and the
 * setters of a 0.1-style config refuse to change a built one. */
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#endif
static void deprecated_misuse(void) {
    cinnox_receiver_config_builder *b = NULL;
    cinnox_receiver_config *built = NULL, *legacy = NULL;
    cinnox_receiver_counters st;
    cinnox_inbox_counts counts;

    EXPECT(cinnox_client_set_timeouts(NULL, 1, 1), NUL);
    EXPECT(cinnox_client_set_retry(NULL, 1, 1, 1, 1), NUL);
    EXPECT(cinnox_client_set_user_agent(NULL, "ua"), NUL);
    EXPECT(cinnox_receiver_config_new(NULL, &legacy), NUL);
    EXPECT(cinnox_receiver_config_new("/p", NULL), NUL);
    EXPECT(cinnox_receiver_config_new("/p", &legacy), CINNOX_OK);
    EXPECT(cinnox_receiver_config_set_max_connections(legacy, 0), INV);
    EXPECT(cinnox_receiver_config_set_max_connections(legacy, 5), CINNOX_OK);
    EXPECT(cinnox_receiver_config_set_max_body(NULL, 1), NUL);
    EXPECT(cinnox_receiver_config_set_inbox(legacy, NULL), NUL);
    EXPECT(cinnox_receiver_config_builder_new("/p", &b), CINNOX_OK);
    EXPECT(cinnox_receiver_config_builder_build(b, &built), CINNOX_OK);
    EXPECT(cinnox_receiver_config_set_max_body(built, 1), INV);
    EXPECT(cinnox_receiver_config_allow_source(built, "127.0.0.1/32"), INV);
    EXPECT(cinnox_receiver_config_set_timeouts(built, 1, 1, 1), INV);
    EXPECT(cinnox_receiver_stats(NULL, &st), NUL);
    EXPECT(cinnox_inbox_stats(NULL, &counts), NUL);
    EXPECT(cinnox_inbox_set_retry(NULL, 1, 1, 1), NUL);
    cinnox_receiver_config_free(built);
    cinnox_receiver_config_free(legacy);
}
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

static void inbox_misuse(void) {
    cinnox_inbox_builder *b = NULL;
    cinnox_inbox *inbox = NULL;
    cinnox_inbox_snapshot *snap = NULL;

    EXPECT(cinnox_inbox_builder_new(NULL, &b), NUL);
    EXPECT(cinnox_inbox_builder_new("x.db", NULL), NUL);
    EXPECT(cinnox_inbox_builder_new("", &b), INV);
    EXPECT(cinnox_inbox_builder_new(BAD_UTF8, &b), INV);
    CHECK(b == NULL);
    EXPECT(cinnox_inbox_builder_new("x.db", &b), CINNOX_OK);
    EXPECT(cinnox_inbox_builder_set_retry(NULL, 1, 1, 1), NUL);
    EXPECT(cinnox_inbox_builder_set_retry(b, 0, 1, 1), INV);
    EXPECT(cinnox_inbox_builder_set_retry(b, 3, 10, 5), INV);
    EXPECT(cinnox_inbox_builder_build(NULL, &inbox), NUL);
    /* A NULL out consumes the builder and opens nothing. */
    EXPECT(cinnox_inbox_builder_build(b, NULL), NUL);
    CHECK(inbox == NULL);
    EXPECT(cinnox_inbox_snapshot_new(NULL, &snap), NUL);
    CHECK(snap == NULL);
    CHECK(cinnox_inbox_snapshot_pending(NULL) == 0);
    CHECK(cinnox_inbox_snapshot_in_flight(NULL) == 0);
    CHECK(cinnox_inbox_snapshot_done(NULL) == 0);
    CHECK(cinnox_inbox_snapshot_dead(NULL) == 0);
    CHECK(cinnox_inbox_snapshot_oldest_pending_age_ms(NULL) == 0);
}

static void free_null(void) {
    cinnox_client_builder_free(NULL);
    cinnox_receiver_config_builder_free(NULL);
    cinnox_inbox_builder_free(NULL);
    cinnox_inbox_snapshot_free(NULL);
    cinnox_inbox_free(NULL);
    cinnox_string_free(NULL);
    cinnox_client_free(NULL);
    cinnox_subscription_free(NULL);
    cinnox_event_free(NULL);
    cinnox_receiver_config_free(NULL);
    cinnox_receiver_free(NULL);
    cinnox_delivery_free(NULL);
    cinnox_sandbox_free(NULL);
    cinnox_trigger_result_free(NULL);
    cinnox_webhook_free(NULL);
    cinnox_reply_free(NULL);
}

int main(void) {
    CHECK(cinnox_version() != NULL && strlen(cinnox_version()) > 0);
    CHECK(cinnox_last_error_message() != NULL);
    CHECK(strcmp(cinnox_result_name(CINNOX_OK), "CINNOX_OK") == 0);
    CHECK(strcmp(cinnox_result_name(12345), "unknown") == 0);
    client_misuse();
    event_misuse();
    receiver_misuse();
    sandbox_misuse();
    webhook_misuse();
    inbox_misuse();
    deprecated_misuse();
    free_null();
    /* A success clears the last error. */
    {
        cinnox_event *ev = NULL;
        cinnox_parse((const uint8_t *)"x", 1, &ev);
        CHECK(cinnox_last_error_message()[0] != '\0');
        cinnox_parse((const uint8_t *)"{}", 2, &ev);
        CHECK(cinnox_last_error_message()[0] == '\0');
        CHECK(cinnox_last_error_http_status() == 0 && cinnox_last_error_api_code() == 0);
        cinnox_event_free(ev);
    }
    if (fails) {
        printf("%d of %d checks failed\n", fails, checks);
        return 1;
    }
    printf("misuse ok: %d checks\n", checks);
    return 0;
}
