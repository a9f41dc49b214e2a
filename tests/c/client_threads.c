/* One client shared by several threads: concurrent subscriptions through the sandbox while
 * another thread changes the client's settings. Every call must succeed. */
/* This program checks that the deprecated 0.1 setters, which change a live client, stay
 * thread-safe until they go in 0.3; it uses them on purpose. */
#define CINNOX_NO_DEPRECATION_WARNINGS
#include "cinnox.h"

#include <pthread.h>
#include <stdio.h>

#define THREADS 4
#define CALLS 5

static cinnox_client *client;
static char url[128];
static int failures[THREADS + 1];

static void *subscriber(void *arg) {
    int id = (int)(size_t)arg, i;
    for (i = 0; i < CALLS; i++) {
        cinnox_subscription *sub = NULL;
        cinnox_event_kind kind = (cinnox_event_kind)(1 + (id + i) % 9);
        if (cinnox_client_subscribe(client, "app-1", kind, url, &sub) != CINNOX_OK ||
            !cinnox_subscription_enabled(sub)) {
            printf("thread %d: %s\n", id, cinnox_last_error_message());
            failures[id]++;
        }
        cinnox_subscription_free(sub);
    }
    return NULL;
}

static void *tuner(void *arg) {
    int i;
    (void)arg;
    for (i = 0; i < 20; i++) {
        if (cinnox_client_set_timeouts(client, 2000 + (uint32_t)i, 3000) != CINNOX_OK ||
            cinnox_client_set_retry(client, 2, 10, 20, 1000) != CINNOX_OK)
            failures[THREADS]++;
    }
    return NULL;
}

int main(void) {
    cinnox_sandbox *sb = NULL;
    cinnox_receiver *rx = NULL;
    pthread_t t[THREADS + 1];
    int i, total = 0;

    if (cinnox_sandbox_start(&sb) != CINNOX_OK) return 1;
    if (cinnox_sandbox_add_app(sb, "app-1", "tok") != CINNOX_OK) return 1;
    /* Challenges are answered by the receiver's own threads; no event is expected. */
    if (cinnox_receiver_new("127.0.0.1:0", "/hook", &rx) != CINNOX_OK) return 1;
    snprintf(url, sizeof url, "http://127.0.0.1:%u/hook", (unsigned)cinnox_receiver_port(rx));
    if (cinnox_client_new(cinnox_sandbox_base_url(sb), "tok", &client) != CINNOX_OK) return 1;

    for (i = 0; i < THREADS; i++) pthread_create(&t[i], NULL, subscriber, (void *)(size_t)i);
    pthread_create(&t[THREADS], NULL, tuner, NULL);
    for (i = 0; i <= THREADS; i++) pthread_join(t[i], NULL);
    for (i = 0; i <= THREADS; i++) total += failures[i];

    printf("failures=%d subscriptions=%zu\n", total, cinnox_sandbox_subscription_count(sb));
    cinnox_client_free(client);
    cinnox_receiver_free(rx);
    cinnox_sandbox_free(sb);
    return total != 0;
}
