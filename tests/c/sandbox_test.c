/* The whole flow in C through the sandbox: sandbox -> client subscribe (the sandbox verifies
 * the receiver's URL) -> triggers -> receiver callback on a worker thread; a failed handler
 * call gets the event again. */
#include "cinnox.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define S(p) ((p) ? (p) : "(null)")

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int sms_calls = 0;

static int handler(void *userdata, const cinnox_event *ev) {
    int result = 0;
    (void)userdata;
    pthread_mutex_lock(&lock);
    switch (cinnox_event_get_type(ev)) {
    case CINNOX_EVENT_TYPE_CALL_START: {
        const cinnox_call *c = cinnox_event_call(ev);
        printf("handler: call start %s caller=%s callee=%s\n", S(c->id), S(c->caller.number),
               c->callee_count ? S(c->callees[0].number) : "(none)");
        break;
    }
    case CINNOX_EVENT_TYPE_CALL_END:
        printf("handler: call end %s\n", S(cinnox_event_call(ev)->id));
        break;
    case CINNOX_EVENT_TYPE_INBOUND_SMS: {
        const cinnox_inbound_sms *s = cinnox_event_inbound_sms(ev);
        sms_calls++;
        printf("handler: inbound sms \"%s\" try %d\n", S(s->content), sms_calls);
        result = sms_calls == 1 ? 1 : 0; /* fail the first try: the sandbox redelivers */
        break;
    }
    case CINNOX_EVENT_TYPE_OUTBOUND_SMS: {
        const cinnox_outbound_sms *o = cinnox_event_outbound_sms(ev);
        printf("handler: outbound sms %s status=%u (%s)\n", S(o->transaction_id),
               (unsigned)o->status, S(o->status_text));
        break;
    }
    default:
        printf("handler: other\n");
    }
    fflush(stdout);
    pthread_mutex_unlock(&lock);
    return result;
}

static cinnox_receiver *rx;
static cinnox_result served = CINNOX_ERR_OTHER;

static void *serve(void *arg) {
    (void)arg;
    served = cinnox_receiver_serve(rx, 1, handler, NULL);
    return NULL;
}

static void report(const char *what, cinnox_result r, cinnox_trigger_result *t) {
    size_t i, a;
    printf("%s: %s deliveries=%zu", what, cinnox_result_name(r), cinnox_trigger_result_count(t));
    for (i = 0; i < cinnox_trigger_result_count(t); i++) {
        printf(" delivered=%d statuses=", cinnox_trigger_result_delivered(t, i));
        for (a = 0; a < cinnox_trigger_result_attempts(t, i); a++)
            printf("%s%u", a ? "," : "", (unsigned)cinnox_trigger_result_status(t, i, a));
        printf(" latency_ok=%d", cinnox_trigger_result_latency_us(t, i) > 0);
    }
    printf("\n");
    fflush(stdout);
    cinnox_trigger_result_free(t);
}

int main(void) {
    static const uint32_t delays[] = {5, 5};
    static const cinnox_event_kind kinds[] = {CINNOX_EVENT_KIND_CALL, CINNOX_EVENT_KIND_INBOUND_SMS,
                                              CINNOX_EVENT_KIND_OUTBOUND_SMS};
    cinnox_sandbox *sb = NULL;
    cinnox_client *client = NULL, *bad = NULL;
    cinnox_subscription *sub = NULL;
    cinnox_trigger_result *t = NULL;
    char url[128];
    pthread_t thread;
    cinnox_result r;
    size_t i;

    if (cinnox_sandbox_start_with(2000, delays, 2, &sb) != CINNOX_OK) return 1;
    if (cinnox_sandbox_add_app(sb, "app-1", "tok-1") != CINNOX_OK) return 1;
    printf("base url is http: %d\n", strncmp(cinnox_sandbox_base_url(sb), "http://127.0.0.1:", 17) == 0);
    if (cinnox_receiver_new("127.0.0.1:0", "/hook/s3cret", &rx) != CINNOX_OK) return 1;
    if (pthread_create(&thread, NULL, serve, NULL) != 0) return 1;
    snprintf(url, sizeof url, "http://127.0.0.1:%u/hook/s3cret", (unsigned)cinnox_receiver_port(rx));

    if (cinnox_client_new(cinnox_sandbox_base_url(sb), "tok-1", &client) != CINNOX_OK) return 1;
    for (i = 0; i < 3; i++) {
        r = cinnox_client_subscribe(client, "app-1", kinds[i], url, &sub);
        if (r != CINNOX_OK) {
            printf("subscribe failed: %s\n", cinnox_last_error_message());
            return 1;
        }
        printf("subscribed kind %u: enabled=%d same_url=%d\n", (unsigned)kinds[i],
               cinnox_subscription_enabled(sub), strcmp(cinnox_subscription_url(sub), url) == 0);
        cinnox_subscription_free(sub);
        sub = NULL;
    }
    {
        cinnox_client_builder *b = NULL;
        cinnox_client_builder_new(cinnox_sandbox_base_url(sb), "wrong", &b);
        cinnox_client_builder_set_retry(b, 1, 1, 1, 1);
        cinnox_client_builder_build(b, &bad);
    }
    r = cinnox_client_subscribe(bad, "app-1", CINNOX_EVENT_KIND_CALL, url, &sub);
    printf("wrong token: %s http=%u api=%lld\n", cinnox_result_name(r),
           (unsigned)cinnox_last_error_http_status(), (long long)cinnox_last_error_api_code());
    cinnox_client_free(bad);
    printf("subscriptions: %zu\n", cinnox_sandbox_subscription_count(sb));

    r = cinnox_sandbox_trigger_call_start(sb, "call-9", "+85211112222", "085233334444", 0, &t);
    report("call start", r, t);
    r = cinnox_sandbox_trigger_call_end(sb, "call-9", CINNOX_WIRE_WITHOUT_ENVELOPE, &t);
    report("call end", r, t);
    r = cinnox_sandbox_trigger_inbound_sms(sb, NULL, NULL, "hello from C",
                                           CINNOX_WIRE_NUMBERS_AS_JSON_NUMBERS, &t);
    report("inbound sms", r, t);
    r = cinnox_sandbox_trigger_outbound_sms(sb, "tx-9", "Undelivered", 0, &t);
    report("outbound sms", r, t);
    r = cinnox_sandbox_trigger_json(sb, CINNOX_EVENT_KIND_RECORDING, "{\"type\":\"message\"}", &t);
    report("recording", r, t);
    r = cinnox_sandbox_trigger_json(sb, CINNOX_EVENT_KIND_CALL, "{not json", &t);
    printf("bad json: %s\n", cinnox_result_name(r));
    r = cinnox_sandbox_trigger_call_end(sb, NULL, 0, NULL); /* the result is optional */
    printf("without result: %s\n", cinnox_result_name(r));

    r = cinnox_client_unsubscribe(client, "app-1", CINNOX_EVENT_KIND_CALL, url, &sub);
    printf("unsubscribed: %s enabled=%d subscriptions=%zu\n", cinnox_result_name(r),
           cinnox_subscription_enabled(sub), cinnox_sandbox_subscription_count(sb));
    cinnox_subscription_free(sub);

    cinnox_receiver_shutdown(rx);
    pthread_join(thread, NULL);
    printf("serve returned %s\n", cinnox_result_name(served));
    cinnox_receiver_free(rx);
    cinnox_client_free(client);
    cinnox_sandbox_free(sb);
    return 0;
}
