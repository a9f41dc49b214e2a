/* A webhook receiver with the callback API: prints each event CINNOX delivers.
 *
 *   receiver [BIND_ADDR [PATH [COUNT]]]
 *
 * BIND_ADDR defaults to 127.0.0.1:8080 (port 0 picks a free port), PATH to /cinnox/hook.
 * With COUNT > 0 it exits after handling COUNT events; otherwise it runs until killed.
 * Build: cc -std=c99 receiver.c $(pkg-config --cflags --libs cinnox) -lpthread */
#include <cinnox.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define S(p) ((p) ? (p) : "-")

struct app {
    pthread_mutex_t lock; /* handlers run concurrently on the worker threads */
    const cinnox_receiver *rx;
    long handled;
    long count;
};

static void print_event(const cinnox_event *ev) {
    switch (cinnox_event_get_type(ev)) {
    case CINNOX_EVENT_TYPE_CALL_START:
    case CINNOX_EVENT_TYPE_CALL_END: {
        const cinnox_call *c = cinnox_event_call(ev);
        size_t i;
        printf("%s id=%s service=%s caller=%s/%s",
               cinnox_event_get_type(ev) == CINNOX_EVENT_TYPE_CALL_START ? "call start"
                                                                          : "call end",
               S(c->id), S(c->service_id), S(c->caller.eid), S(c->caller.number));
        for (i = 0; i < c->callee_count; i++)
            printf(" callee=%s/%s", S(c->callees[i].eid), S(c->callees[i].number));
        printf("\n");
        break;
    }
    case CINNOX_EVENT_TYPE_INBOUND_SMS: {
        const cinnox_inbound_sms *s = cinnox_event_inbound_sms(ev);
        printf("inbound sms id=%s from=%s to=%s at=%s text=%.*s\n", S(s->id),
               S(s->sender_number), S(s->recipient_number), S(s->receive_time),
               (int)s->content_len, S(s->content));
        break;
    }
    case CINNOX_EVENT_TYPE_OUTBOUND_SMS: {
        const cinnox_outbound_sms *o = cinnox_event_outbound_sms(ev);
        printf("outbound sms transaction=%s to=%s (%s) status=%s exception=%s\n",
               S(o->transaction_id), S(o->recipient_number), S(o->recipient_country),
               S(o->status_text), S(o->exception));
        break;
    }
    default: {
        size_t len = 0;
        const uint8_t *raw = cinnox_event_raw(ev, &len);
        printf("other event: %.*s\n", (int)len, (const char *)raw);
        break;
    }
    }
}

/* Runs on a worker thread of the receiver. 0 = handled (HTTP 200), else failed (500). */
static int on_event(void *userdata, const cinnox_event *event) {
    struct app *app = userdata;
    pthread_mutex_lock(&app->lock);
    print_event(event);
    fflush(stdout);
    app->handled++;
    if (app->count > 0 && app->handled >= app->count)
        cinnox_receiver_shutdown(app->rx); /* serve() returns once this event is answered */
    pthread_mutex_unlock(&app->lock);
    return 0;
}

int main(int argc, char **argv) {
    const char *addr = argc > 1 ? argv[1] : "127.0.0.1:8080";
    const char *path = argc > 2 ? argv[2] : "/cinnox/hook";
    struct app app;
    cinnox_receiver *rx = NULL;
    cinnox_result r;

    app.handled = 0;
    app.count = argc > 3 ? atol(argv[3]) : 0;
    pthread_mutex_init(&app.lock, NULL);

    r = cinnox_receiver_new(addr, path, &rx);
    if (r != CINNOX_OK) {
        fprintf(stderr, "receiver: %s\n", cinnox_last_error_message());
        return 1;
    }
    app.rx = rx;
    printf("listening on port %u\n", (unsigned)cinnox_receiver_port(rx));
    fflush(stdout);

    r = cinnox_receiver_serve(rx, 2, on_event, &app);
    if (r != CINNOX_OK)
        fprintf(stderr, "serve: %s\n", cinnox_last_error_message());
    cinnox_receiver_free(rx); /* waits: no handler runs after this */
    pthread_mutex_destroy(&app.lock);
    printf("handled %ld events\n", app.handled);
    return r == CINNOX_OK ? 0 : 1;
}
