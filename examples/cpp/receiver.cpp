// A webhook receiver in C++17: RAII handles over the C API, callback serving on worker
// threads, and a clean stop after COUNT events.
//
//   receiver_cpp [BIND_ADDR [PATH [COUNT]]]      (as examples/c/receiver.c)
//
// Build: c++ -std=c++17 receiver.cpp $(pkg-config --cflags --libs cinnox) -lpthread
#include <cinnox.h>

#include <atomic>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>

namespace {

// Each handle type owns its object through std::unique_ptr and the matching _free.
template <typename T, void (*Free)(T *)> struct Deleter {
    void operator()(T *p) const noexcept { Free(p); }
};
using Receiver = std::unique_ptr<cinnox_receiver, Deleter<cinnox_receiver, cinnox_receiver_free>>;
// A cinnox_delivery (from cinnox_receiver_recv) is consumed by cinnox_delivery_ack and
// cinnox_delivery_fail: held in a unique_ptr, hand it over with release(), e.g.
// `cinnox_delivery_ack(d.release())`, never `d.get()` (the deleter would free it again).
using Event = std::unique_ptr<cinnox_event, Deleter<cinnox_event, cinnox_event_free>>;

// A failed call as an exception carrying the library's detail.
struct Error : std::runtime_error {
    cinnox_result code;
    Error(const char *what, cinnox_result r)
        : std::runtime_error(std::string(what) + ": " + cinnox_result_name(r) + ": " +
                             cinnox_last_error_message()),
          code(r) {}
};

void check(cinnox_result r, const char *what) {
    if (r != CINNOX_OK) throw Error(what, r);
}

std::string_view text(const char *s) { return s ? std::string_view(s) : std::string_view("-"); }

struct App {
    std::mutex out; // handlers run concurrently
    std::atomic<long> handled{0};
    long count = 0;
    cinnox_receiver *rx = nullptr;

    int handle(const cinnox_event &ev) {
        std::lock_guard<std::mutex> lock(out);
        switch (cinnox_event_get_type(&ev)) {
        case CINNOX_EVENT_TYPE_CALL_START:
        case CINNOX_EVENT_TYPE_CALL_END: {
            const cinnox_call &c = *cinnox_event_call(&ev);
            std::cout << (cinnox_event_get_type(&ev) == CINNOX_EVENT_TYPE_CALL_START
                              ? "call start "
                              : "call end ")
                      << text(c.id) << " callees=" << c.callee_count << '\n';
            break;
        }
        case CINNOX_EVENT_TYPE_INBOUND_SMS: {
            const cinnox_inbound_sms &s = *cinnox_event_inbound_sms(&ev);
            std::cout << "inbound sms " << text(s.id) << " from " << text(s.sender_number)
                      << ": " << std::string_view(s.content ? s.content : "", s.content_len)
                      << '\n';
            break;
        }
        case CINNOX_EVENT_TYPE_OUTBOUND_SMS: {
            const cinnox_outbound_sms &o = *cinnox_event_outbound_sms(&ev);
            std::cout << "outbound sms " << text(o.transaction_id) << ' '
                      << text(o.status_text) << '\n';
            break;
        }
        default: {
            size_t len = 0;
            const uint8_t *raw = cinnox_event_raw(&ev, &len);
            std::cout << "other " << std::string_view(reinterpret_cast<const char *>(raw), len)
                      << '\n';
        }
        }
        std::cout.flush();
        if (++handled == count) cinnox_receiver_shutdown(rx);
        return 0;
    }
};

// The C callback: userdata is the App. Exceptions must not cross into the library.
extern "C" int on_event(void *userdata, const cinnox_event *event) {
    try {
        return static_cast<App *>(userdata)->handle(*event);
    } catch (...) {
        return 1; // failed: CINNOX may deliver it again
    }
}

} // namespace

int main(int argc, char **argv) {
    const char *addr = argc > 1 ? argv[1] : "127.0.0.1:8080";
    const char *path = argc > 2 ? argv[2] : "/cinnox/hook";
    try {
        App app;
        app.count = argc > 3 ? std::atol(argv[3]) : 0;

        // An event can also be parsed by hand, e.g. behind your own HTTP server.
        {
            static const char body[] = R"({"challenge":"abc"})";
            cinnox_event *raw = nullptr;
            check(cinnox_parse(reinterpret_cast<const uint8_t *>(body), sizeof body - 1, &raw),
                  "parse");
            Event ev(raw);
            const uint8_t *reply = nullptr;
            size_t len = 0;
            check(cinnox_challenge_reply(ev.get(), &reply, &len), "challenge reply");
            std::cout << "challenge reply "
                      << std::string_view(reinterpret_cast<const char *>(reply), len) << '\n';
        }

        cinnox_receiver *raw = nullptr;
        check(cinnox_receiver_new(addr, path, &raw), "receiver");
        Receiver rx(raw); // freed (shut down, waited for) on every way out of this scope
        app.rx = rx.get();
        std::cout << "listening on port " << cinnox_receiver_port(rx.get()) << std::endl;
        check(cinnox_receiver_serve(rx.get(), 2, on_event, &app), "serve");
        std::cout << "handled " << app.handled << " events" << std::endl;
    } catch (const Error &e) {
        std::cerr << e.what() << '\n';
        return 1;
    }
    return 0;
}
