/* The receiver C API beyond the examples.
 *
 *   receiver_test poll        config object, recv timeout, fail then ack, counters, closed
 *   receiver_test serve-free  cinnox_receiver_free while serve runs on another thread
 *
 * Prints "listening on port N" first; the Rust test then posts to /hook. */
#include "cinnox.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

static int never_called(void *userdata, const cinnox_event *event) {
    (void)userdata;
    (void)event;
    return 0;
}

/* One counter of `rx`; UINT64_MAX when it cannot be read. */
static unsigned long long counter(const cinnox_receiver *rx, cinnox_counter which) {
    uint64_t value = 0;
    if (cinnox_receiver_counter(rx, which, &value) != CINNOX_OK) return (unsigned long long)-1;
    return (unsigned long long)value;
}

static int poll_test(void) {
    cinnox_receiver_config_builder *b = NULL;
    cinnox_receiver_config *cfg = NULL;
    cinnox_receiver *rx = NULL;
    cinnox_delivery *d = NULL;
    cinnox_result r;
    int i;

    if (cinnox_receiver_config_builder_new("/hook", &b) != CINNOX_OK) return 1;
    if (cinnox_receiver_config_builder_set_max_body(b, 1024) != CINNOX_OK) return 1;
    if (cinnox_receiver_config_builder_set_dedup_window(b, 0) != CINNOX_OK) return 1;
    if (cinnox_receiver_config_builder_set_timeouts(b, 2000, 2000, 1000) != CINNOX_OK) return 1;
    if (cinnox_receiver_config_builder_set_max_connections(b, 8) != CINNOX_OK) return 1;
    if (cinnox_receiver_config_builder_set_io_threads(b, 2) != CINNOX_OK) return 1;
    if (cinnox_receiver_config_builder_set_header_timeout(b, 2000) != CINNOX_OK) return 1;
    if (cinnox_receiver_config_builder_set_per_source_limit(b, 8) != CINNOX_OK) return 1;
    r = cinnox_receiver_config_builder_allow_source(b, "10.0.0.0/33");
    printf("bad cidr: %s\n", cinnox_result_name(r));
    r = cinnox_receiver_new("localhost:99999", "/hook", &rx);
    printf("bad port: %s out=%s\n", cinnox_result_name(r), rx ? "written" : "NULL");
    r = cinnox_receiver_new("8080", "/hook", &rx);
    printf("no host: %s\n", cinnox_result_name(r));
    r = cinnox_receiver_new("127.0.0.1:0", "", &rx);
    printf("empty path: %s\n", cinnox_result_name(r));
    r = cinnox_receiver_new("127.0.0.1:0", "/", &rx);
    printf("root path: %s\n", cinnox_result_name(r));
    {
        cinnox_receiver_config_builder *none = NULL;
        r = cinnox_receiver_config_builder_new("", &none);
        printf("empty config path: %s out=%s\n", cinnox_result_name(r), none ? "written" : "NULL");
    }
    if (cinnox_receiver_config_builder_allow_source(b, "127.0.0.0/8") != CINNOX_OK) return 1;
    if (cinnox_receiver_config_builder_trust_proxy(b, "::1/128") != CINNOX_OK) return 1;
    if (cinnox_receiver_config_builder_build(b, &cfg) != CINNOX_OK) return 1;
    r = cinnox_receiver_new_with_config("127.0.0.1:0", cfg, &rx);
    cinnox_receiver_config_free(cfg); /* copied: the receiver does not need it */
    if (r != CINNOX_OK) {
        printf("new: %s\n", cinnox_last_error_message());
        return 1;
    }
    r = cinnox_receiver_serve(rx, 0, never_called, NULL);
    printf("serve 0: %s\n", cinnox_result_name(r));
    r = cinnox_receiver_recv(rx, 20, &d);
    printf("empty recv: %s out=%s\n", cinnox_result_name(r), d ? "written" : "NULL");
    printf("listening on port %u\n", (unsigned)cinnox_receiver_port(rx));
    fflush(stdout);

    /* The test posts the same event twice: fail the first, ack the redelivery. */
    for (i = 0; i < 2; i++) {
        const cinnox_call *c;
        r = cinnox_receiver_recv(rx, 10000, &d);
        if (r != CINNOX_OK) {
            printf("recv: %s %s\n", cinnox_result_name(r), cinnox_last_error_message());
            return 1;
        }
        c = cinnox_event_call(cinnox_delivery_event(d));
        printf("got %s\n", c && c->id ? c->id : "?");
        fflush(stdout);
        r = i == 0 ? cinnox_delivery_fail(d) : cinnox_delivery_ack(d);
        if (r != CINNOX_OK) return 1;
    }
    /* Then one event left unanswered and freed: that is a failure (500). */
    if (cinnox_receiver_recv(rx, 10000, &d) != CINNOX_OK) return 1;
    printf("got one to drop\n");
    fflush(stdout);
    cinnox_delivery_free(d);

    printf("stats: requests=%llu challenges=%llu events=%llu acks=%llu fails=%llu "
           "too_large=%llu not_found=%llu\n",
           counter(rx, CINNOX_COUNTER_REQUESTS), counter(rx, CINNOX_COUNTER_CHALLENGES),
           counter(rx, CINNOX_COUNTER_EVENTS), counter(rx, CINNOX_COUNTER_ACKS),
           counter(rx, CINNOX_COUNTER_FAILS), counter(rx, CINNOX_COUNTER_REFUSED_TOO_LARGE),
           counter(rx, CINNOX_COUNTER_REFUSED_NOT_FOUND));
    printf("connections: evicted=%llu open_within_cap=%d\n",
           counter(rx, CINNOX_COUNTER_EVICTED_CONNECTIONS),
           counter(rx, CINNOX_COUNTER_OPEN_CONNECTIONS) <= 8);

    if (cinnox_receiver_shutdown(rx) != CINNOX_OK) return 1;
    if (cinnox_receiver_shutdown(rx) != CINNOX_OK) return 1; /* idempotent */
    d = NULL;
    r = cinnox_receiver_recv(rx, CINNOX_WAIT_FOREVER, &d);
    printf("after shutdown: %s out=%s\n", cinnox_result_name(r), d ? "written" : "NULL");
    cinnox_receiver_free(rx);
    printf("done\n");
    return 0;
}

struct shared {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int calls;
    cinnox_receiver *rx;
    cinnox_result served;
};

static int handler(void *userdata, const cinnox_event *ev) {
    struct shared *s = userdata;
    pthread_mutex_lock(&s->lock);
    s->calls++;
    printf("handler saw type %u\n", (unsigned)cinnox_event_get_type(ev));
    fflush(stdout);
    pthread_cond_broadcast(&s->cond);
    pthread_mutex_unlock(&s->lock);
    return 0;
}

static void *serve_thread(void *arg) {
    struct shared *s = arg;
    s->served = cinnox_receiver_serve(s->rx, 3, handler, s);
    return NULL;
}

static int serve_free_test(void) {
    struct shared s;
    pthread_t t;
    int calls_at_free;
    memset(&s, 0, sizeof s);
    pthread_mutex_init(&s.lock, NULL);
    pthread_cond_init(&s.cond, NULL);
    s.served = CINNOX_ERR_OTHER;
    if (cinnox_receiver_new("127.0.0.1:0", "/hook", &s.rx) != CINNOX_OK) return 1;
    if (pthread_create(&t, NULL, serve_thread, &s) != 0) return 1;
    printf("listening on port %u\n", (unsigned)cinnox_receiver_port(s.rx));
    fflush(stdout);
    pthread_mutex_lock(&s.lock);
    while (s.calls < 1) pthread_cond_wait(&s.cond, &s.lock);
    pthread_mutex_unlock(&s.lock);

    cinnox_receiver_free(s.rx); /* shuts down and waits for serve to return */
    pthread_mutex_lock(&s.lock);
    calls_at_free = s.calls;
    pthread_mutex_unlock(&s.lock);
    pthread_join(t, NULL);
    printf("serve returned %s; calls after free: %d\n", cinnox_result_name(s.served),
           s.calls - calls_at_free);
    pthread_cond_destroy(&s.cond);
    pthread_mutex_destroy(&s.lock);
    return 0;
}

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "poll") == 0) return poll_test();
    if (argc > 1 && strcmp(argv[1], "serve-free") == 0) return serve_free_test();
    fprintf(stderr, "usage: receiver_test poll|serve-free\n");
    return 2;
}
