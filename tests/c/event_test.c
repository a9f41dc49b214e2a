/* Parses notification bodies through the C API and prints every field of each view. */
#include "cinnox.h"

#include <stdio.h>
#include <string.h>

#define S(p) ((p) ? (p) : "(null)")

static const char *type_name(cinnox_event_type t) {
    switch (t) {
    case CINNOX_EVENT_TYPE_NONE: return "none";
    case CINNOX_EVENT_TYPE_CHALLENGE: return "challenge";
    case CINNOX_EVENT_TYPE_CALL_START: return "call-start";
    case CINNOX_EVENT_TYPE_CALL_END: return "call-end";
    case CINNOX_EVENT_TYPE_INBOUND_SMS: return "inbound-sms";
    case CINNOX_EVENT_TYPE_OUTBOUND_SMS: return "outbound-sms";
    case CINNOX_EVENT_TYPE_OTHER: return "other";
    }
    return "?";
}

static int show(const char *body, size_t len) {
    cinnox_event *ev = NULL;
    cinnox_result r = cinnox_parse((const uint8_t *)body, len, &ev);
    size_t raw_len = 0;
    const uint8_t *raw;
    cinnox_event_type t;
    if (r != CINNOX_OK) {
        printf("error %s: %s\n", cinnox_result_name(r),
               cinnox_last_error_message()[0] ? "message set" : "no message");
        return ev == NULL ? 0 : 1;
    }
    t = cinnox_event_get_type(ev);
    raw = cinnox_event_raw(ev, &raw_len);
    printf("%s raw_same=%d", type_name(t), raw_len == len && memcmp(raw, body, len) == 0);
    /* Exactly one view answers. */
    printf(" views=%d%d%d%d%d\n", cinnox_event_call(ev) != NULL,
           cinnox_event_inbound_sms(ev) != NULL, cinnox_event_outbound_sms(ev) != NULL,
           cinnox_event_other(ev) != NULL, cinnox_event_challenge(ev) != NULL);
    if (t == CINNOX_EVENT_TYPE_CHALLENGE) {
        const uint8_t *reply = NULL;
        size_t reply_len = 0;
        printf("  challenge=%s\n", cinnox_event_challenge(ev));
        if (cinnox_challenge_reply(ev, &reply, &reply_len) != CINNOX_OK) return 1;
        printf("  reply=%.*s\n", (int)reply_len, (const char *)reply);
    } else {
        const uint8_t *reply = NULL;
        size_t reply_len = 7;
        r = cinnox_challenge_reply(ev, &reply, &reply_len);
        printf("  reply: %s untouched=%d\n", cinnox_result_name(r),
               reply == NULL && reply_len == 7);
    }
    if (t == CINNOX_EVENT_TYPE_CALL_START || t == CINNOX_EVENT_TYPE_CALL_END) {
        const cinnox_call *c = cinnox_event_call(ev);
        size_t i;
        printf("  id=%s service_id=%s caller.eid=%s caller.number=%s callee_count=%zu\n",
               S(c->id), S(c->service_id), S(c->caller.eid), S(c->caller.number),
               c->callee_count);
        for (i = 0; i < c->callee_count; i++)
            printf("  callee[%zu] eid=%s number=%s\n", i, S(c->callees[i].eid),
                   S(c->callees[i].number));
    }
    if (t == CINNOX_EVENT_TYPE_INBOUND_SMS) {
        const cinnox_inbound_sms *s = cinnox_event_inbound_sms(ev);
        printf("  id=%s event_description=%s sender_number=%s recipient_number=%s\n", S(s->id),
               S(s->event_description), S(s->sender_number), S(s->recipient_number));
        printf("  receive_time=%s content_type=%s content_len=%zu content=", S(s->receive_time),
               S(s->content_type), s->content_len);
        fwrite(s->content, 1, s->content_len, stdout);
        printf(" terminated=%d\n", s->content ? s->content[s->content_len] == '\0' : -1);
    }
    if (t == CINNOX_EVENT_TYPE_OUTBOUND_SMS) {
        const cinnox_outbound_sms *o = cinnox_event_outbound_sms(ev);
        printf("  report_type=%s app_id=%s service_id=%s transaction_id=%s\n", S(o->report_type),
               S(o->app_id), S(o->service_id), S(o->transaction_id));
        printf("  recipient_number=%s recipient_country=%s response_code=\"%s\"\n",
               S(o->recipient_number), S(o->recipient_country), S(o->response_code));
        printf("  status=%u status_text=%s exception=\"%s\"\n", (unsigned)o->status,
               S(o->status_text), S(o->exception));
    }
    if (t == CINNOX_EVENT_TYPE_OTHER) {
        const cinnox_other_event *o = cinnox_event_other(ev);
        printf("  family=%s status=%s id=%s\n", S(o->family), S(o->status), S(o->id));
    }
    cinnox_event_free(ev);
    return 0;
}

#define SHOW(lit) show(lit, sizeof(lit) - 1)

/* The same notification twice has the same dedup key; another one a different key. */
static int dedup_keys(void) {
    static const char start[] =
        "{\"message\":{\"id\":\"call-7\",\"status\":\"CallStart\"}}";
    static const char end[] = "{\"message\":{\"id\":\"call-7\",\"status\":\"CallEnd\"}}";
    static const char challenge[] = "{\"challenge\":\"x\"}";
    cinnox_event *a = NULL, *b = NULL, *c = NULL, *d = NULL;
    int ok;
    if (cinnox_parse((const uint8_t *)start, sizeof start - 1, &a) != CINNOX_OK ||
        cinnox_parse((const uint8_t *)start, sizeof start - 1, &b) != CINNOX_OK ||
        cinnox_parse((const uint8_t *)end, sizeof end - 1, &c) != CINNOX_OK ||
        cinnox_parse((const uint8_t *)challenge, sizeof challenge - 1, &d) != CINNOX_OK)
        return 1;
    ok = cinnox_event_dedup_key(a) != NULL && cinnox_event_dedup_key(a)[0] != '\0' &&
         strcmp(cinnox_event_dedup_key(a), cinnox_event_dedup_key(b)) == 0 &&
         strcmp(cinnox_event_dedup_key(a), cinnox_event_dedup_key(c)) != 0 &&
         cinnox_event_dedup_key(a) == cinnox_event_dedup_key(a) && /* made once, kept */
         cinnox_event_dedup_key(d) == NULL && cinnox_event_dedup_key(NULL) == NULL;
    printf("dedup keys ok=%d\n", ok);
    cinnox_event_free(a);
    cinnox_event_free(b);
    cinnox_event_free(c);
    cinnox_event_free(d);
    return !ok;
}

/* An SMS whose strings do not fit the event's inline buffer. */
static int long_sms(void) {
    static char body[2200];
    char content[1501];
    cinnox_event *ev = NULL;
    const cinnox_inbound_sms *s;
    int ok;
    memset(content, 'x', 1500);
    content[1500] = '\0';
    snprintf(body, sizeof body, "{\"id\":\"long-1\",\"senderNumber\":\"1\",\"content\":\"%s\"}",
             content);
    if (cinnox_parse((const uint8_t *)body, strlen(body), &ev) != CINNOX_OK) return 1;
    s = cinnox_event_inbound_sms(ev);
    ok = s && s->content_len == 1500 && strcmp(s->content, content) == 0 &&
         strcmp(s->id, "long-1") == 0 && strcmp(s->sender_number, "1") == 0;
    printf("long sms ok=%d\n", ok);
    cinnox_event_free(ev);
    return !ok;
}

int main(void) {
    int bad = 0;
    bad |= SHOW("{\"challenge\":\"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P\"}");
    bad |= SHOW("{\"challenge\":\"q\\\"uote\\\\\"}");
    bad |= SHOW("{\"type\":\"message\",\"message\":{\"id\":\"call-1\",\"status\":\"CallStart\","
                "\"serviceId\":\"svc-1\",\"caller\":{\"eid\":\"eid-a\",\"number\":\"+85298765432\"},"
                "\"callees\":{\"eid\":\"eid-b\",\"number\":\"085212345678\"}}}");
    bad |= SHOW("{\"message\":{\"id\":\"call-2\",\"status\":\"CallStart\",\"serviceId\":\"svc-1\","
                "\"caller\":{\"eid\":\"eid-a\",\"number\":85298765432},"
                "\"callees\":[{\"eid\":\"eid-b\",\"number\":\"1\"},{\"eid\":\"eid-c\"}]}}");
    bad |= SHOW("{\"type\":\"message\",\"message\":{\"id\":\"call-1\",\"status\":\"CallEnd\","
                "\"serviceId\":\"svc-1\"}}");
    bad |= SHOW("{\"id\":\"sms-1\",\"eventDescription\":\"Inbound SMS\",\"senderNumber\":"
                "\"85298765432\",\"recipientNumber\":85212345678,\"receiveTime\":"
                "\"2022-11-07T00:00:00.000Z\",\"contentType\":\"Text\",\"content\":"
                "\"hi\\u0000there \\u00e9\"}");
    bad |= SHOW("{\"Type\":\"tdr\",\"AppID\":\"app-1\",\"ServiceID\":\"svc-1\",\"TransactionID\":"
                "\"tx-1\",\"RecipientNumber\":\"85298765432\",\"RecipientCountry\":\"HK\","
                "\"ResponseCode\":\"\",\"Status\":\"Delivered\",\"Exception\":\"\"}");
    bad |= SHOW("{\"Type\":\"tdr\",\"TransactionID\":\"tx-2\",\"ResponseCode\":400,"
                "\"Status\":\"Expired\",\"Exception\":\"sms deliver failed\"}");
    bad |= SHOW("{\"Type\":\"tdr\",\"TransactionID\":\"tx-3\"}");
    bad |= SHOW("{\"type\":\"message\",\"message\":{\"id\":\"rec-1\",\"status\":\"RecordingReady\"}}");
    bad |= SHOW("not json");
    bad |= SHOW("[1,2]");
    bad |= show("{\"id\":\"\xff\"}", 10);
    bad |= long_sms();
    bad |= dedup_keys();
    return bad;
}
