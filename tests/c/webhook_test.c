/* The verifier without the server, as a program with its own HTTP server uses it. */
#include "cinnox.h"

#include <stdio.h>
#include <string.h>

static cinnox_webhook *wh;

static const cinnox_header JSON[] = {{"Content-Type", "application/json"}};

/* Feed one request; print what to do. Returns the event (or NULL). */
static cinnox_event *request(const char *what, const char *method, const char *target,
                             const char *body) {
    cinnox_reply *reply = (cinnox_reply *)1;
    cinnox_event *event = (cinnox_event *)1;
    cinnox_result r = cinnox_webhook_handle(wh, method, target, JSON, 1, "127.0.0.1",
                                            (const uint8_t *)body, strlen(body), &reply, &event);
    if (r != CINNOX_OK) {
        printf("%s: %s\n", what, cinnox_result_name(r));
        return NULL;
    }
    if (reply) {
        size_t len = 0;
        const uint8_t *b = cinnox_reply_body(reply, &len);
        printf("%s: reply %u %.*s (event %s)\n", what, (unsigned)cinnox_reply_status(reply),
               (int)len, (const char *)b, event ? "set" : "NULL");
        cinnox_reply_free(reply);
        return NULL;
    }
    printf("%s: event type %u\n", what, (unsigned)cinnox_event_get_type(event));
    return event;
}

static void finish(const char *what, cinnox_event *ev, bool handled) {
    cinnox_reply *reply = NULL;
    size_t i;
    if (cinnox_webhook_finish(wh, ev, handled, &reply) != CINNOX_OK) {
        printf("%s: finish failed\n", what);
        return;
    }
    printf("%s: reply %u", what, (unsigned)cinnox_reply_status(reply));
    for (i = 0; i < cinnox_reply_header_count(reply); i++) {
        const char *name = NULL, *value = NULL;
        if (cinnox_reply_header(reply, i, &name, &value) == CINNOX_OK)
            printf(" [%s: %s]", name, value);
    }
    printf("\n");
    cinnox_reply_free(reply);
}

int main(void) {
    static const char call[] =
        "{\"message\":{\"id\":\"c-1\",\"status\":\"CallStart\",\"serviceId\":\"s\"}}";
    cinnox_receiver_config *cfg = NULL;
    cinnox_event *ev, *challenge = NULL;
    cinnox_reply *reply = NULL;
    cinnox_result r;

    cinnox_receiver_config_builder *builder = NULL;
    if (cinnox_receiver_config_builder_new("/hook/s3cret", &builder) != CINNOX_OK) return 1;
    if (cinnox_receiver_config_builder_build(builder, &cfg) != CINNOX_OK) return 1;
    if (cinnox_webhook_new(cfg, &wh) != CINNOX_OK) return 1;
    cinnox_receiver_config_free(cfg);

    request("challenge", "POST", "/hook/s3cret", "{\"challenge\":\"abc\"}");
    request("wrong path", "POST", "/hook/guess", call);
    request("get", "GET", "/hook/s3cret", "");

    ev = request("first", "POST", "/hook/s3cret?x=1", call);
    if (!ev) return 1;
    finish("failed", ev, false);
    cinnox_event_free(ev);
    ev = request("again", "POST", "/hook/s3cret", call);
    if (!ev) return 1;
    finish("handled", ev, true);
    cinnox_event_free(ev);
    request("duplicate", "POST", "/hook/s3cret", call);

    r = cinnox_webhook_handle(wh, "POST", "/hook/s3cret", JSON, 1, "not an ip",
                              (const uint8_t *)call, strlen(call), &reply, &ev);
    printf("bad peer: %s\n", cinnox_result_name(r));
    cinnox_parse((const uint8_t *)"{\"challenge\":\"x\"}", 17, &challenge);
    r = cinnox_webhook_finish(wh, challenge, true, &reply);
    printf("finish challenge: %s\n", cinnox_result_name(r));
    cinnox_event_free(challenge);
    cinnox_webhook_free(wh);
    return 0;
}
