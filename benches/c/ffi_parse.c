/*
 * The C side of benches/ffi_parse.rs: what a C program does with a notification body
 * (parse, type, typed view, a few fields, free), through the shared library. The bench
 * compiles this file with the system C compiler at -O2 into a shared object linked to the
 * freshly built libcinnox.so, loads it, and times `cinnox_bench_c_loop` against the Rust
 * `parse` of the same bytes.
 */
#include <stddef.h>
#include <stdint.h>

#include "cinnox.h"

/* Stores the compiler cannot drop, so that each field read happens. */
static volatile uintptr_t sink;

size_t cinnox_bench_c_loop(const uint8_t *body, size_t len, size_t iterations);

/* Parse `body` `iterations` times, reading the same fields as the Rust side; returns a
 * count derived from them (0 when a parse fails). */
size_t cinnox_bench_c_loop(const uint8_t *body, size_t len, size_t iterations) {
    size_t total = 0;
    for (size_t i = 0; i < iterations; i++) {
        cinnox_event *ev = NULL;
        if (cinnox_parse(body, len, &ev) != CINNOX_OK) {
            return 0;
        }
        switch (cinnox_event_get_type(ev)) {
        case CINNOX_EVENT_TYPE_CALL_START:
        case CINNOX_EVENT_TYPE_CALL_END: {
            const cinnox_call *c = cinnox_event_call(ev);
            sink = (uintptr_t)c->id;
            sink = (uintptr_t)c->caller.number;
            total += c->callee_count;
            break;
        }
        case CINNOX_EVENT_TYPE_INBOUND_SMS: {
            const cinnox_inbound_sms *s = cinnox_event_inbound_sms(ev);
            sink = (uintptr_t)s->content;
            total += s->content_len;
            break;
        }
        case CINNOX_EVENT_TYPE_OUTBOUND_SMS: {
            const cinnox_outbound_sms *o = cinnox_event_outbound_sms(ev);
            sink = (uintptr_t)o->transaction_id;
            total += o->status != CINNOX_DELIVERY_STATUS_NONE;
            break;
        }
        default:
            break;
        }
        cinnox_event_free(ev);
    }
    return total;
}
