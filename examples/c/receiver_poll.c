/* A webhook receiver driven by the program's own loop: recv, handle, ack.
 *
 *   receiver_poll [BIND_ADDR [PATH [COUNT]]]
 *
 * Arguments as for receiver.c. Each event is printed as a line with its type and raw body.
 * Build: cc -std=c99 receiver_poll.c $(pkg-config --cflags --libs cinnox) */
#include <cinnox.h>

#include <stdio.h>
#include <stdlib.h>

static const char *type_name(cinnox_event_type t) {
    switch (t) {
    case CINNOX_EVENT_TYPE_CALL_START: return "call-start";
    case CINNOX_EVENT_TYPE_CALL_END: return "call-end";
    case CINNOX_EVENT_TYPE_INBOUND_SMS: return "inbound-sms";
    case CINNOX_EVENT_TYPE_OUTBOUND_SMS: return "outbound-sms";
    default: return "other";
    }
}

int main(int argc, char **argv) {
    const char *addr = argc > 1 ? argv[1] : "127.0.0.1:8080";
    const char *path = argc > 2 ? argv[2] : "/cinnox/hook";
    long count = argc > 3 ? atol(argv[3]) : 0;
    long handled = 0;
    cinnox_receiver *rx = NULL;

    if (cinnox_receiver_new(addr, path, &rx) != CINNOX_OK) {
        fprintf(stderr, "receiver: %s\n", cinnox_last_error_message());
        return 1;
    }
    printf("listening on port %u\n", (unsigned)cinnox_receiver_port(rx));
    fflush(stdout);

    while (count <= 0 || handled < count) {
        cinnox_delivery *d = NULL;
        const cinnox_event *ev;
        const uint8_t *raw;
        size_t len = 0;
        cinnox_result r = cinnox_receiver_recv(rx, 1000, &d);
        if (r == CINNOX_ERR_TIMEOUT)
            continue; /* a chance to do other work */
        if (r != CINNOX_OK) {
            fprintf(stderr, "recv: %s\n", cinnox_last_error_message());
            break;
        }
        ev = cinnox_delivery_event(d);
        raw = cinnox_event_raw(ev, &len);
        printf("%s %.*s\n", type_name(cinnox_event_get_type(ev)), (int)len, (const char *)raw);
        fflush(stdout);
        /* Stored it? Then acknowledge; cinnox_delivery_fail() would ask for a redelivery. */
        cinnox_delivery_ack(d);
        handled++;
    }
    cinnox_receiver_free(rx);
    printf("handled %ld events\n", handled);
    return 0;
}
