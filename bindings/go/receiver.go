package cinnox

/*
#include <stdint.h>
#include "cinnox.h"

extern int cinnoxGoHandler(void *userdata, struct cinnox_event *ev);

static cinnox_result cinnox_go_serve(const cinnox_receiver *rx, size_t workers, uintptr_t id) {
	return cinnox_receiver_serve(rx, workers, (cinnox_handler)cinnoxGoHandler, (void *)id);
}
*/
import "C"

import (
	"context"
	"errors"
	"runtime"
	"runtime/cgo"
	"sync"
	"time"
)

// ReceiverConfig holds the settings of a receiver beyond its path. Make it with
// NewReceiverConfig, change it with its setters, pass it to NewReceiverWithConfig (which
// copies it), and Close it. Not safe for use from several goroutines at once.
//
// The library's receiver configurations are immutable, made by a builder: a ReceiverConfig
// keeps the settings it was given and gives them to a new builder, built once, for each
// NewReceiverWithConfig. Each setter checks its value at once, on a builder of its own,
// and keeps nothing when the library refuses it.
type ReceiverConfig struct {
	path string
	// check is the builder each setting is tried on first; nil once closed.
	check *C.cinnox_receiver_config_builder
	// settings are the accepted settings, in order, each applied to a builder.
	settings []func(*C.cinnox_receiver_config_builder) C.cinnox_result
}

// NewReceiverConfig makes a config answering only on path (e.g. "/cinnox/<secret>"), with
// the library's defaults (the CINNOX_DEFAULT_* constants of cinnox.h): body cap
// CINNOX_DEFAULT_MAX_BODY, every source allowed, no trusted proxy, duplicate window
// CINNOX_DEFAULT_DEDUP_WINDOW_MS, read timeout CINNOX_DEFAULT_READ_TIMEOUT_MS, idle
// timeout CINNOX_DEFAULT_IDLE_TIMEOUT_MS, CINNOX_DEFAULT_MAX_CONNECTIONS connections,
// shutdown grace CINNOX_DEFAULT_SHUTDOWN_GRACE_MS.
func NewReceiverConfig(path string) (*ReceiverConfig, error) {
	b, err := newConfigBuilder(path)
	if err != nil {
		return nil, err
	}
	cfg := &ReceiverConfig{path: path, check: b}
	runtime.SetFinalizer(cfg, (*ReceiverConfig).Close)
	return cfg, nil
}

func newConfigBuilder(path string) (*C.cinnox_receiver_config_builder, error) {
	p, f := cstr(path)
	defer f()
	var out *C.cinnox_receiver_config_builder
	if err := call(func() C.cinnox_result { return C.cinnox_receiver_config_builder_new(p, &out) }); err != nil {
		return nil, err
	}
	return out, nil
}

// Close frees the config. Idempotent. Receivers made from it are not affected.
func (cfg *ReceiverConfig) Close() {
	if cfg.check != nil {
		C.cinnox_receiver_config_builder_free(cfg.check)
		cfg.check = nil
		cfg.settings = nil
	}
}

// set tries the setting f on the checking builder and keeps it when the library accepts it.
func (cfg *ReceiverConfig) set(f func(*C.cinnox_receiver_config_builder) C.cinnox_result) error {
	if cfg.check == nil {
		return closedError("receiver config")
	}
	if err := call(func() C.cinnox_result { return f(cfg.check) }); err != nil {
		return err
	}
	cfg.settings = append(cfg.settings, f)
	return nil
}

// build makes the immutable configuration of the settings so far: a new builder, every
// setting, build. The caller frees it with cinnox_receiver_config_free.
func (cfg *ReceiverConfig) build() (*C.cinnox_receiver_config, error) {
	if cfg.check == nil {
		return nil, closedError("receiver config")
	}
	b, err := newConfigBuilder(cfg.path)
	if err != nil {
		return nil, err
	}
	for _, f := range cfg.settings {
		if err := call(func() C.cinnox_result { return f(b) }); err != nil {
			C.cinnox_receiver_config_builder_free(b)
			return nil, err
		}
	}
	var out *C.cinnox_receiver_config
	// Consumes the builder whatever the result.
	if err := call(func() C.cinnox_result { return C.cinnox_receiver_config_builder_build(b, &out) }); err != nil {
		return nil, err
	}
	return out, nil
}

// SetMaxBody sets the largest body accepted, in bytes; a larger one gets 413.
func (cfg *ReceiverConfig) SetMaxBody(bytes int) error {
	return cfg.set(func(b *C.cinnox_receiver_config_builder) C.cinnox_result {
		return C.cinnox_receiver_config_builder_set_max_body(b, C.size_t(bytes))
	})
}

// AllowSource accepts requests only from the network cidr ("10.0.0.0/8"); may be called
// several times. Until it is called, every source is allowed.
func (cfg *ReceiverConfig) AllowSource(cidr string) error {
	return cfg.set(func(b *C.cinnox_receiver_config_builder) C.cinnox_result {
		s, f := cstr(cidr)
		defer f()
		return C.cinnox_receiver_config_builder_allow_source(b, s)
	})
}

// TrustProxy trusts X-Forwarded-For from peers in the network cidr.
func (cfg *ReceiverConfig) TrustProxy(cidr string) error {
	return cfg.set(func(b *C.cinnox_receiver_config_builder) C.cinnox_result {
		s, f := cstr(cidr)
		defer f()
		return C.cinnox_receiver_config_builder_trust_proxy(b, s)
	})
}

// SetDedupWindow sets how long a delivered event is remembered so that a redelivery is
// answered 200 without reaching the application again; 0 turns it off.
func (cfg *ReceiverConfig) SetDedupWindow(window time.Duration) error {
	return cfg.set(func(b *C.cinnox_receiver_config_builder) C.cinnox_result {
		return C.cinnox_receiver_config_builder_set_dedup_window(b, millis(window))
	})
}

// SetTimeouts sets the longest wait for any read of a request, how long an idle
// keep-alive connection is kept, and how long shutdown lets deliveries in flight finish
// (0 keeps a value).
func (cfg *ReceiverConfig) SetTimeouts(read, idle, shutdownGrace time.Duration) error {
	return cfg.set(func(b *C.cinnox_receiver_config_builder) C.cinnox_result {
		return C.cinnox_receiver_config_builder_set_timeouts(b, millis(read), millis(idle), millis(shutdownGrace))
	})
}

// SetMaxConnections sets how many connections may be open at once (default
// CINNOX_DEFAULT_MAX_CONNECTIONS).
func (cfg *ReceiverConfig) SetMaxConnections(n int) error {
	return cfg.set(func(b *C.cinnox_receiver_config_builder) C.cinnox_result {
		return C.cinnox_receiver_config_builder_set_max_connections(b, C.size_t(n))
	})
}

// Receiver is an embedded webhook server: it answers CINNOX's challenges itself and hands
// events to the program through Recv or Serve. Its methods may be called from several
// goroutines at once. Close it when done.
type Receiver struct {
	mu sync.RWMutex
	rx *C.cinnox_receiver
}

// NewReceiver starts a receiver listening on bind ("127.0.0.1:8080", or port 0 for any
// free port) that answers only on path, with the default settings.
func NewReceiver(bind, path string) (*Receiver, error) {
	b, fb := cstr(bind)
	defer fb()
	p, fp := cstr(path)
	defer fp()
	var out *C.cinnox_receiver
	if err := call(func() C.cinnox_result { return C.cinnox_receiver_new(b, p, &out) }); err != nil {
		return nil, err
	}
	return newReceiver(out), nil
}

// NewReceiverWithConfig is NewReceiver with the settings of cfg (copied).
func NewReceiverWithConfig(bind string, cfg *ReceiverConfig) (*Receiver, error) {
	if cfg == nil {
		return nil, closedError("receiver config")
	}
	config, err := cfg.build()
	if err != nil {
		return nil, err
	}
	defer C.cinnox_receiver_config_free(config)
	runtime.KeepAlive(cfg)
	b, fb := cstr(bind)
	defer fb()
	var out *C.cinnox_receiver
	if err := call(func() C.cinnox_result { return C.cinnox_receiver_new_with_config(b, config, &out) }); err != nil {
		return nil, err
	}
	return newReceiver(out), nil
}

func newReceiver(rx *C.cinnox_receiver) *Receiver {
	r := &Receiver{rx: rx}
	runtime.SetFinalizer(r, (*Receiver).Close)
	return r
}

// Port is the port the receiver listens on (useful after binding port 0); 0 once closed
// or closing.
func (r *Receiver) Port() int {
	// TryRLock: a handler of Serve may call this while Close waits for Serve to return.
	if !r.mu.TryRLock() {
		return 0
	}
	defer r.mu.RUnlock()
	return int(C.cinnox_receiver_port(r.rx))
}

// recvSlice is how long one wait of Recv lasts before it looks at its context again.
const recvSlice = 50 * time.Millisecond

// Recv waits for the next event until ctx is done. The delivery must be answered with
// Ack or Fail. It returns ctx.Err() when ctx ends first (an event that arrived is never
// dropped: it is returned instead), and an *Error of KindClosed once the receiver is shut
// down. Several goroutines may wait at once; each event goes to one of them.
func (r *Receiver) Recv(ctx context.Context) (*Delivery, error) {
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		wait := recvSlice
		if dl, ok := ctx.Deadline(); ok {
			if left := time.Until(dl); left < wait {
				wait = left
			}
		}
		d, err := r.recvOnce(wait)
		var e *Error
		if errors.As(err, &e) && e.Kind == KindTimeout {
			continue
		}
		return d, err
	}
}

func (r *Receiver) recvOnce(wait time.Duration) (*Delivery, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if r.rx == nil {
		return nil, closedError("receiver")
	}
	var out *C.cinnox_delivery
	if err := call(func() C.cinnox_result { return C.cinnox_receiver_recv(r.rx, millis(wait), &out) }); err != nil {
		return nil, err
	}
	d := &Delivery{d: out, Event: newEvent(C.cinnox_delivery_event(out))}
	runtime.SetFinalizer(d, (*Delivery).Fail)
	return d, nil
}

// Serve runs handler for every event on workers threads of the library (concurrently when
// workers > 1) until the receiver is shut down or ctx ends; then it shuts the receiver
// down and returns (ctx.Err() when ctx ended it). A nil error from handler answers 200; an
// error or a panic answers 500, so that CINNOX delivers the event again.
func (r *Receiver) Serve(ctx context.Context, workers int, handler func(*Event) error) error {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if r.rx == nil {
		return closedError("receiver")
	}
	h := cgo.NewHandle(handler)
	defer h.Delete()
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		select {
		case <-ctx.Done():
			C.cinnox_receiver_shutdown(r.rx)
		case <-done:
		}
	}()
	err := call(func() C.cinnox_result { return C.cinnox_go_serve(r.rx, C.size_t(workers), C.uintptr_t(h)) })
	close(done)
	<-stopped
	if err == nil {
		err = ctx.Err()
	}
	return err
}

// Shutdown stops the receiver: it stops accepting, lets deliveries in flight finish, and
// wakes every Recv (which then fails with KindClosed) and Serve. Idempotent; it may be
// called from a handler of Serve.
func (r *Receiver) Shutdown() {
	// Only Close takes the write lock, after shutting the receiver down itself: when the
	// read lock is not to be had, the receiver is already shut down. (Waiting for it could
	// deadlock a handler calling Shutdown while Close waits for Serve.)
	if !r.mu.TryRLock() {
		return
	}
	defer r.mu.RUnlock()
	if r.rx != nil {
		C.cinnox_receiver_shutdown(r.rx)
	}
}

// Close shuts the receiver down, waits for every Recv and Serve on it, and frees it.
// Idempotent. Deliveries already taken stay valid and must still be answered.
// Never call it from a handler of Serve (it would wait for that handler): call Shutdown
// there.
func (r *Receiver) Close() {
	r.mu.RLock()
	if r.rx != nil {
		C.cinnox_receiver_shutdown(r.rx)
	}
	r.mu.RUnlock()
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.rx != nil {
		C.cinnox_receiver_free(r.rx)
		r.rx = nil
	}
}

// ErrAnswered is returned by Ack and Fail on a delivery already answered.
var ErrAnswered = errors.New("cinnox: delivery already answered")

// Delivery is one event waiting for the program's answer: Ack (HTTP 200) or Fail (HTTP
// 500, so that CINNOX delivers it again). One that is garbage-collected unanswered is
// failed. It may be answered from any goroutine.
type Delivery struct {
	// Event is the event, copied into Go memory: it stays valid after the answer.
	Event *Event
	mu    sync.Mutex
	d     *C.cinnox_delivery
}

func (d *Delivery) answer(f func(*C.cinnox_delivery) C.cinnox_result) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.d == nil {
		return ErrAnswered
	}
	p := d.d
	d.d = nil
	return call(func() C.cinnox_result { return f(p) })
}

// Ack answers the delivery 200: the event was handled.
func (d *Delivery) Ack() error {
	return d.answer(func(p *C.cinnox_delivery) C.cinnox_result { return C.cinnox_delivery_ack(p) })
}

// Fail answers the delivery 500: the event was not handled and CINNOX may deliver it again.
func (d *Delivery) Fail() error {
	return d.answer(func(p *C.cinnox_delivery) C.cinnox_result { return C.cinnox_delivery_fail(p) })
}
