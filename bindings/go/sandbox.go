package cinnox

/*
#include <stdlib.h>
#include "cinnox.h"
*/
import "C"

import (
	"runtime"
	"sync"
	"time"
	"unsafe"
)

// Wire flags: the other notification shapes the spec allows, ORed into the Wire field of
// the trigger options.
const (
	WireNumbersAsJSONNumbers uint32 = C.CINNOX_WIRE_NUMBERS_AS_JSON_NUMBERS // phone numbers as JSON numbers
	WireCalleesAsArray       uint32 = C.CINNOX_WIRE_CALLEES_AS_ARRAY        // callees as an array
	WireWithoutEnvelope      uint32 = C.CINNOX_WIRE_WITHOUT_ENVELOPE        // call events without the envelope
)

// Sandbox is a local stand-in for CINNOX on 127.0.0.1: it serves the subscription API
// (verifying each webhook URL with the real handshake) and delivers notifications to the
// subscribed URLs, redelivering on failure. For developing and testing without an
// account. Its methods may be called from several goroutines at once. Close it when done.
type Sandbox struct {
	mu sync.RWMutex
	sb *C.cinnox_sandbox
}

// StartSandbox starts a sandbox with the defaults: no apps (see AddApp), 500 requests a
// minute per app, a 5 s verification and delivery timeout, redelivery after 50, 100 and
// 200 ms.
func StartSandbox() (*Sandbox, error) {
	var out *C.cinnox_sandbox
	if err := call(func() C.cinnox_result { return C.cinnox_sandbox_start(&out) }); err != nil {
		return nil, err
	}
	return newSandbox(out), nil
}

// StartSandboxWith starts a sandbox whose delivery attempts wait at most deliveryTimeout
// (0 keeps 5 s) and whose failed deliveries are retried after each of redeliveryDelays
// (none: no redelivery).
func StartSandboxWith(deliveryTimeout time.Duration, redeliveryDelays ...time.Duration) (*Sandbox, error) {
	var delays *C.uint32_t
	if n := len(redeliveryDelays); n > 0 {
		delays = (*C.uint32_t)(C.malloc(C.size_t(n) * C.size_t(unsafe.Sizeof(C.uint32_t(0)))))
		defer C.free(unsafe.Pointer(delays))
		for i, d := range redeliveryDelays {
			unsafe.Slice(delays, n)[i] = millis(d)
		}
	}
	var out *C.cinnox_sandbox
	err := call(func() C.cinnox_result {
		return C.cinnox_sandbox_start_with(millis(deliveryTimeout), delays, C.size_t(len(redeliveryDelays)), &out)
	})
	if err != nil {
		return nil, err
	}
	return newSandbox(out), nil
}

func newSandbox(sb *C.cinnox_sandbox) *Sandbox {
	s := &Sandbox{sb: sb}
	runtime.SetFinalizer(s, (*Sandbox).Close)
	return s
}

// Close stops the sandbox and frees it. Idempotent; it waits for the calls in progress.
func (s *Sandbox) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sb != nil {
		C.cinnox_sandbox_free(s.sb)
		s.sb = nil
	}
}

func (s *Sandbox) with(f func(*C.cinnox_sandbox) C.cinnox_result) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.sb == nil {
		return closedError("sandbox")
	}
	return call(func() C.cinnox_result { return f(s.sb) })
}

// BaseURL is the base URL to give NewClient, e.g. "http://127.0.0.1:41234"; "" once closed.
func (s *Sandbox) BaseURL() string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return gostr(C.cinnox_sandbox_base_url(s.sb))
}

// AddApp accepts the App ID appID with the App Token appToken; an existing ID gets the new
// token and keeps its subscriptions.
func (s *Sandbox) AddApp(appID, appToken string) error {
	a, fa := cstr(appID)
	defer fa()
	t, ft := cstr(appToken)
	defer ft()
	return s.with(func(sb *C.cinnox_sandbox) C.cinnox_result { return C.cinnox_sandbox_add_app(sb, a, t) })
}

// SubscriptionCount is the number of subscriptions the sandbox holds (every app, every
// family).
func (s *Sandbox) SubscriptionCount() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return int(C.cinnox_sandbox_subscription_count(s.sb))
}

// DeliveryRecord is what happened to one delivery of a trigger (one per subscribed URL).
type DeliveryRecord struct {
	Delivered bool          // the last attempt was answered 2xx
	Statuses  []int         // the HTTP status of each attempt; 0 when one got no answer
	Latency   time.Duration // from the first attempt to the end of the last
}

type triggerFunc func(sb *C.cinnox_sandbox, out **C.cinnox_trigger_result) C.cinnox_result

// trigger runs one trigger and copies its result.
func (s *Sandbox) trigger(f triggerFunc) ([]DeliveryRecord, error) {
	var r *C.cinnox_trigger_result
	if err := s.with(func(sb *C.cinnox_sandbox) C.cinnox_result { return f(sb, &r) }); err != nil {
		return nil, err
	}
	defer C.cinnox_trigger_result_free(r)
	recs := make([]DeliveryRecord, int(C.cinnox_trigger_result_count(r)))
	for i := range recs {
		ci := C.size_t(i)
		rec := DeliveryRecord{
			Delivered: bool(C.cinnox_trigger_result_delivered(r, ci)),
			Latency:   time.Duration(C.cinnox_trigger_result_latency_us(r, ci)) * time.Microsecond,
		}
		for a := 0; a < int(C.cinnox_trigger_result_attempts(r, ci)); a++ {
			rec.Statuses = append(rec.Statuses, int(C.cinnox_trigger_result_status(r, ci, C.size_t(a))))
		}
		recs[i] = rec
	}
	return recs, nil
}

// TriggerJSON delivers the JSON text json, sent as is, as a notification of family kind to
// every URL subscribed to it, redelivering on failure; it blocks until done. A failed
// delivery is not an error: see the records.
func (s *Sandbox) TriggerJSON(kind EventKind, json string) ([]DeliveryRecord, error) {
	j, f := cstr(json)
	defer f()
	return s.trigger(func(sb *C.cinnox_sandbox, out **C.cinnox_trigger_result) C.cinnox_result {
		return C.cinnox_sandbox_trigger_json(sb, C.cinnox_event_kind(kind), j, out)
	})
}

// CallStartOptions are the fields of a triggered call start; "" gives a realistic default
// (a random call ID).
type CallStartOptions struct {
	CallID, CallerNumber, CalleeNumber string
	Wire                               uint32 // an OR of the Wire… flags
}

// TriggerCallStart delivers a call start to the URLs subscribed to calls.
func (s *Sandbox) TriggerCallStart(o CallStartOptions) ([]DeliveryRecord, error) {
	id, f1 := optstr(o.CallID)
	defer f1()
	caller, f2 := optstr(o.CallerNumber)
	defer f2()
	callee, f3 := optstr(o.CalleeNumber)
	defer f3()
	return s.trigger(func(sb *C.cinnox_sandbox, out **C.cinnox_trigger_result) C.cinnox_result {
		return C.cinnox_sandbox_trigger_call_start(sb, id, caller, callee, C.uint32_t(o.Wire), out)
	})
}

// TriggerCallEnd delivers a call end for the call callID ("" for a random ID).
func (s *Sandbox) TriggerCallEnd(callID string, wire uint32) ([]DeliveryRecord, error) {
	id, f := optstr(callID)
	defer f()
	return s.trigger(func(sb *C.cinnox_sandbox, out **C.cinnox_trigger_result) C.cinnox_result {
		return C.cinnox_sandbox_trigger_call_end(sb, id, C.uint32_t(wire), out)
	})
}

// InboundSMSOptions are the fields of a triggered inbound SMS; "" gives a realistic default.
type InboundSMSOptions struct {
	SenderNumber, RecipientNumber, Content string
	Wire                                   uint32 // an OR of the Wire… flags
}

// TriggerInboundSMS delivers an inbound SMS to the URLs subscribed to inbound SMS.
func (s *Sandbox) TriggerInboundSMS(o InboundSMSOptions) ([]DeliveryRecord, error) {
	snd, f1 := optstr(o.SenderNumber)
	defer f1()
	rcp, f2 := optstr(o.RecipientNumber)
	defer f2()
	txt, f3 := optstr(o.Content)
	defer f3()
	return s.trigger(func(sb *C.cinnox_sandbox, out **C.cinnox_trigger_result) C.cinnox_result {
		return C.cinnox_sandbox_trigger_inbound_sms(sb, snd, rcp, txt, C.uint32_t(o.Wire), out)
	})
}

// DeliveryReportOptions are the fields of a triggered outbound SMS delivery report; ""
// gives a realistic default. Status is the text sent ("Delivered", "Rejected", any text).
type DeliveryReportOptions struct {
	TransactionID, Status string
	Wire                  uint32 // an OR of the Wire… flags
}

// TriggerDeliveryReport delivers an outbound SMS delivery report to the URLs subscribed to
// outbound SMS.
func (s *Sandbox) TriggerDeliveryReport(o DeliveryReportOptions) ([]DeliveryRecord, error) {
	tx, f1 := optstr(o.TransactionID)
	defer f1()
	st, f2 := optstr(o.Status)
	defer f2()
	return s.trigger(func(sb *C.cinnox_sandbox, out **C.cinnox_trigger_result) C.cinnox_result {
		return C.cinnox_sandbox_trigger_outbound_sms(sb, tx, st, C.uint32_t(o.Wire), out)
	})
}
