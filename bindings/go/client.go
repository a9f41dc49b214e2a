package cinnox

/*
#include <stdlib.h>
#include "cinnox.h"
*/
import "C"

import (
	"fmt"
	"runtime"
	"strings"
	"sync"
	"time"
	"unsafe"
)

// EventKind is an event family to subscribe to (the C ABI's CINNOX_EVENT_KIND_… numbers).
type EventKind uint32

// The documented event families.
const (
	EventCall            EventKind = C.CINNOX_EVENT_KIND_CALL             // call start and call end
	EventInboundSMS      EventKind = C.CINNOX_EVENT_KIND_INBOUND_SMS      // a new inbound SMS
	EventOutboundSMS     EventKind = C.CINNOX_EVENT_KIND_OUTBOUND_SMS     // outbound SMS delivery reports
	EventInquiry         EventKind = C.CINNOX_EVENT_KIND_INQUIRY          // enquiries
	EventRecording       EventKind = C.CINNOX_EVENT_KIND_RECORDING        // recording files
	EventExternalContact EventKind = C.CINNOX_EVENT_KIND_EXTERNAL_CONTACT // external contacts
	EventStaffContact    EventKind = C.CINNOX_EVENT_KIND_STAFF_CONTACT    // staff contacts
	EventLabel           EventKind = C.CINNOX_EVENT_KIND_LABEL            // labels
	EventInquiryLabel    EventKind = C.CINNOX_EVENT_KIND_INQUIRY_LABEL    // enquiry labels
)

// eventNames are the families' names on the cinnox command line, in EventKind order.
var eventNames = []string{
	"call", "inbound-sms", "outbound-sms", "inquiry", "recording",
	"external-contact", "staff-contact", "label", "inquiry-label",
}

// String gives the family's name as the cinnox command line spells it ("call",
// "inbound-sms", …), or EventKind(N) for a number that names no family.
func (k EventKind) String() string {
	if k >= EventCall && int(k) <= len(eventNames) {
		return eventNames[k-1]
	}
	return fmt.Sprintf("EventKind(%d)", uint32(k))
}

// ParseEventKind gives the family named name, as the cinnox command line spells it
// ("call", "inbound-sms", "outbound-sms", …) or as its slug ("call-event-sub"); another
// name is an *Error of KindInvalidArgument that lists the valid ones.
func ParseEventKind(name string) (EventKind, error) {
	for i, n := range eventNames {
		if name == n || name == n+"-event-sub" {
			return EventKind(i + 1), nil
		}
	}
	return 0, &Error{
		Kind: KindInvalidArgument,
		Message: fmt.Sprintf("unknown event family %q (one of: %s; or a slug such as \"call-event-sub\")",
			name, strings.Join(eventNames, ", ")),
	}
}

// Subscription is a subscription as CINNOX reported it.
type Subscription struct {
	Enabled   bool   // whether it is active
	URL       string // the webhook URL
	UpdatedAt string // RFC 3339 text as sent; "" when CINNOX omitted it
}

// Client subscribes webhook URLs for one CINNOX account (base URL and App Token). Its
// methods may be called from several goroutines at once; they block for the request and
// its retries (bounded by the timeouts). Close it when done.
type Client struct {
	// change serialises the setters and Close: each builds a new native client from
	// settings and swaps it in.
	change   sync.Mutex
	settings clientSettings
	// mu is held for reading by each call on c, for writing to swap or free it.
	mu sync.RWMutex
	c  *C.cinnox_client
}

// clientSettings are everything a native client is built from.
type clientSettings struct {
	baseURL string
	// token is a C copy of the App Token (so that no fmt verb prints it from a Client),
	// freed by Close.
	token     *C.char
	connect   C.uint32_t // 0: the library's default
	attempt   C.uint32_t // 0: the library's default
	userAgent *string
	retry     *[4]C.uint32_t
}

// build makes a native client with the settings s: a client builder, its setters, build.
func (s *clientSettings) build() (*C.cinnox_client, error) {
	b, fb := cstr(s.baseURL)
	defer fb()
	var builder *C.cinnox_client_builder
	if err := call(func() C.cinnox_result { return C.cinnox_client_builder_new(b, s.token, &builder) }); err != nil {
		return nil, err
	}
	set := func(f func() C.cinnox_result) error {
		if err := call(f); err != nil {
			C.cinnox_client_builder_free(builder)
			return err
		}
		return nil
	}
	if s.connect != 0 || s.attempt != 0 {
		if err := set(func() C.cinnox_result { return C.cinnox_client_builder_set_timeouts(builder, s.connect, s.attempt) }); err != nil {
			return nil, err
		}
	}
	if s.userAgent != nil {
		ua, fu := cstr(*s.userAgent)
		defer fu()
		if err := set(func() C.cinnox_result { return C.cinnox_client_builder_set_user_agent(builder, ua) }); err != nil {
			return nil, err
		}
	}
	if r := s.retry; r != nil {
		if err := set(func() C.cinnox_result { return C.cinnox_client_builder_set_retry(builder, r[0], r[1], r[2], r[3]) }); err != nil {
			return nil, err
		}
	}
	var out *C.cinnox_client
	// Consumes the builder whatever the result.
	if err := call(func() C.cinnox_result { return C.cinnox_client_builder_build(builder, &out) }); err != nil {
		return nil, err
	}
	return out, nil
}

// NewClient makes a client for the CINNOX Open API at baseURL (shown in the CINNOX
// dashboard) with the App Token appToken, and the library's defaults: connect timeout
// CINNOX_DEFAULT_CONNECT_TIMEOUT_MS, request timeout CINNOX_DEFAULT_REQUEST_TIMEOUT_MS,
// CINNOX_DEFAULT_MAX_ATTEMPTS attempts with backoff (constants of cinnox.h).
func NewClient(baseURL, appToken string) (*Client, error) {
	s := clientSettings{baseURL: baseURL, token: C.CString(appToken)}
	out, err := s.build()
	if err != nil {
		C.free(unsafe.Pointer(s.token))
		return nil, err
	}
	c := &Client{settings: s, c: out}
	runtime.SetFinalizer(c, (*Client).Close)
	return c, nil
}

// Close frees the client. Idempotent; it waits for the calls in progress.
func (c *Client) Close() {
	c.change.Lock()
	defer c.change.Unlock()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.c != nil {
		C.cinnox_client_free(c.c)
		c.c = nil
		C.free(unsafe.Pointer(c.settings.token))
		c.settings.token = nil
	}
}

// with runs f on the live client, or fails with KindClosed.
func (c *Client) with(f func(*C.cinnox_client) C.cinnox_result) error {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.c == nil {
		return closedError("client")
	}
	return call(func() C.cinnox_result { return f(c.c) })
}

// reconfigure builds a native client with the settings so far changed by edit and puts it
// in place of the current one: calls that start afterwards use it. It waits for the calls
// in progress on the old one, then frees that. On an error nothing changes.
func (c *Client) reconfigure(edit func(*clientSettings)) error {
	c.change.Lock()
	defer c.change.Unlock()
	if c.settings.token == nil {
		return closedError("client")
	}
	next := c.settings
	edit(&next)
	fresh, err := next.build()
	if err != nil {
		return err
	}
	c.mu.Lock()
	old := c.c
	c.c = fresh
	c.settings = next
	c.mu.Unlock()
	C.cinnox_client_free(old)
	return nil
}

func millis(d time.Duration) C.uint32_t {
	ms := d.Milliseconds()
	if ms < 0 {
		return 0
	}
	if ms > int64(^uint32(0)) {
		return C.uint32_t(^uint32(0))
	}
	return C.uint32_t(ms)
}

// The library's clients are immutable: each setter below builds a new one with every
// setting given so far and swaps it in (waiting for the calls in progress).

// SetTimeouts sets the connect timeout and the timeout of one attempt (0 keeps a value).
func (c *Client) SetTimeouts(connect, attempt time.Duration) error {
	return c.reconfigure(func(s *clientSettings) {
		if ms := millis(connect); ms != 0 {
			s.connect = ms
		}
		if ms := millis(attempt); ms != 0 {
			s.attempt = ms
		}
	})
}

// SetRetry sets how transient failures are retried: maxAttempts attempts in all (1: no
// retry), the first delay baseDelay (doubled each time, with jitter), no delay longer
// than maxDelay, no retry after maxElapsed since the first attempt.
func (c *Client) SetRetry(maxAttempts uint32, baseDelay, maxDelay, maxElapsed time.Duration) error {
	return c.reconfigure(func(s *clientSettings) {
		s.retry = &[4]C.uint32_t{C.uint32_t(maxAttempts), millis(baseDelay), millis(maxDelay), millis(maxElapsed)}
	})
}

// SetUserAgent sets the User-Agent header.
func (c *Client) SetUserAgent(userAgent string) error {
	return c.reconfigure(func(s *clientSettings) { s.userAgent = &userAgent })
}

func subscription(s *C.cinnox_subscription) *Subscription {
	defer C.cinnox_subscription_free(s)
	return &Subscription{
		Enabled:   bool(C.cinnox_subscription_enabled(s)),
		URL:       gostr(C.cinnox_subscription_url(s)),
		UpdatedAt: gostr(C.cinnox_subscription_updated_at(s)),
	}
}

// SetSubscription creates or edits (enabled true) or removes (enabled false) the
// subscription of url to the family kind for the app appID. CINNOX verifies the URL while
// handling the request, so start the receiver first.
func (c *Client) SetSubscription(appID string, kind EventKind, enabled bool, url string) (*Subscription, error) {
	a, fa := cstr(appID)
	defer fa()
	u, fu := cstr(url)
	defer fu()
	var out *C.cinnox_subscription
	err := c.with(func(p *C.cinnox_client) C.cinnox_result {
		return C.cinnox_client_set_subscription(p, a, C.cinnox_event_kind(kind), C.bool(enabled), u, &out)
	})
	if err != nil {
		return nil, err
	}
	return subscription(out), nil
}

// SetSubscriptionSlug is SetSubscription for a family given by its slug (e.g. a family
// newer than this library).
func (c *Client) SetSubscriptionSlug(appID, slug string, enabled bool, url string) (*Subscription, error) {
	a, fa := cstr(appID)
	defer fa()
	s, fs := cstr(slug)
	defer fs()
	u, fu := cstr(url)
	defer fu()
	var out *C.cinnox_subscription
	err := c.with(func(p *C.cinnox_client) C.cinnox_result {
		return C.cinnox_client_set_subscription_slug(p, a, s, C.bool(enabled), u, &out)
	})
	if err != nil {
		return nil, err
	}
	return subscription(out), nil
}

// Subscribe subscribes url to the family kind for the app appID.
func (c *Client) Subscribe(appID string, kind EventKind, url string) (*Subscription, error) {
	return c.SetSubscription(appID, kind, true, url)
}

// Unsubscribe removes the subscription of url to the family kind for the app appID.
func (c *Client) Unsubscribe(appID string, kind EventKind, url string) (*Subscription, error) {
	return c.SetSubscription(appID, kind, false, url)
}
