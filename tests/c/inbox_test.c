/* The inbox C API: a receiver that stores before answering, then the program takes the
 * events from the inbox: fail, retry, dead, replay, ack, counts.
 *
 *   inbox_test PATH   prints "listening on port N"; the Rust test then posts two events. */
#include "cinnox.h"

#include <stdio.h>

static void show(const cinnox_inbox *inbox) {
    cinnox_inbox_snapshot *s = NULL;
    if (cinnox_inbox_snapshot_new(inbox, &s) != CINNOX_OK) {
        printf("stats: %s\n", cinnox_last_error_message());
        return;
    }
    printf("pending=%llu in_flight=%llu done=%llu dead=%llu\n",
           (unsigned long long)cinnox_inbox_snapshot_pending(s),
           (unsigned long long)cinnox_inbox_snapshot_in_flight(s),
           (unsigned long long)cinnox_inbox_snapshot_done(s),
           (unsigned long long)cinnox_inbox_snapshot_dead(s));
    cinnox_inbox_snapshot_free(s);
}

/* The number of handled and of dead events; 0 and 0 when the store failed. */
static void done_and_dead(const cinnox_inbox *inbox, uint64_t *done, uint64_t *dead) {
    cinnox_inbox_snapshot *s = NULL;
    *done = *dead = 0;
    if (cinnox_inbox_snapshot_new(inbox, &s) != CINNOX_OK) return;
    *done = cinnox_inbox_snapshot_done(s);
    *dead = cinnox_inbox_snapshot_dead(s);
    cinnox_inbox_snapshot_free(s);
}

static const char *id_of(const cinnox_delivery *d) {
    const cinnox_call *c = cinnox_event_call(cinnox_delivery_event(d));
    return c && c->id ? c->id : "?";
}

int main(int argc, char **argv) {
    cinnox_inbox_builder *ib = NULL;
    cinnox_inbox *inbox = NULL;
    cinnox_receiver_config_builder *builder = NULL;
    cinnox_receiver_config *cfg = NULL;
    cinnox_receiver *rx = NULL;
    cinnox_delivery *d = NULL;
    uint64_t replayed = 0;

    if (argc < 2) return 2;
    printf("null: %s\n", cinnox_result_name(cinnox_inbox_open(NULL, &inbox)));
    printf("empty: %s\n", cinnox_result_name(cinnox_inbox_open("", &inbox)));
    if (cinnox_inbox_builder_new(argv[1], &ib) != CINNOX_OK) return 1;
    printf("zero attempts: %s\n",
           cinnox_result_name(cinnox_inbox_builder_set_retry(ib, 0, 1, 1)));
    if (cinnox_inbox_builder_set_retry(ib, 2, 10, 20) != CINNOX_OK) return 1;
    if (cinnox_inbox_builder_build(ib, &inbox) != CINNOX_OK) {
        printf("open: %s\n", cinnox_last_error_message());
        return 1;
    }
    printf("empty recv: %s\n", cinnox_result_name(cinnox_inbox_recv(inbox, 10, &d)));

    if (cinnox_receiver_config_builder_new("/hook", &builder) != CINNOX_OK) return 1;
    if (cinnox_receiver_config_builder_set_inbox(builder, inbox) != CINNOX_OK) return 1;
    if (cinnox_receiver_config_builder_build(builder, &cfg) != CINNOX_OK) return 1;
    if (cinnox_receiver_new_with_config("127.0.0.1:0", cfg, &rx) != CINNOX_OK) return 1;
    cinnox_receiver_config_free(cfg);
    printf("listening on port %u\n", (unsigned)cinnox_receiver_port(rx));
    fflush(stdout);

    /* The test posts a call start and an inbound SMS (each answered 200 once stored). The
     * call fails every time: after the schedule's two attempts it is dead. The SMS is acked. */
    {
        int call_fails = 0, sms_acks = 0;
        uint64_t done = 0, dead = 0;
        while (done < 1 || dead < 1) {
            if (cinnox_inbox_recv(inbox, 10000, &d) != CINNOX_OK) {
                printf("recv: %s\n", cinnox_last_error_message());
                return 1;
            }
            if (cinnox_event_get_type(cinnox_delivery_event(d)) == CINNOX_EVENT_TYPE_CALL_START) {
                call_fails++;
                cinnox_delivery_fail(d);
            } else {
                sms_acks++;
                cinnox_delivery_ack(d);
            }
            done_and_dead(inbox, &done, &dead);
        }
        printf("call failed %d times, sms acked %d times\n", call_fails, sms_acks);
    }
    show(inbox);
    if (cinnox_inbox_replay_dead(inbox, &replayed) != CINNOX_OK) return 1;
    printf("replayed %llu\n", (unsigned long long)replayed);
    /* Through the receiver this time: the same deliveries. */
    if (cinnox_receiver_recv(rx, 10000, &d) != CINNOX_OK) return 1;
    printf("got %s\n", id_of(d));
    cinnox_delivery_ack(d);
    show(inbox);
    cinnox_receiver_free(rx);
    cinnox_inbox_free(inbox);
    printf("done\n");
    return 0;
}
