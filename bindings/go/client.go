package cinnox

/*
#include "cinnox.h"
*/
import "C"

import (
	"fmt"
	"runtime"
	"strings"
	"sync"
	"time"
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
	mu sync.RWMutex
	c  *C.cinnox_client
}

// NewClient makes a client for the CINNOX Open API at baseURL (shown in the CINNOX
// dashboard) with the App Token appToken. Defaults: connect timeout 10 s, request timeout
// 30 s, 4 attempts with backoff.
func NewClient(baseURL, appToken string) (*Client, error) {
	b, fb := cstr(baseURL)
	defer fb()
	t, ft := cstr(appToken)
	defer ft()
	var out *C.cinnox_client
	if err := call(func() C.cinnox_result { return C.cinnox_client_new(b, t, &out) }); err != nil {
		return nil, err
	}
	c := &Client{c: out}
	runtime.SetFinalizer(c, (*Client).Close)
	return c, nil
}

// Close frees the client. Idempotent; it waits for the calls in progress.
func (c *Client) Close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.c != nil {
		C.cinnox_client_free(c.c)
		c.c = nil
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

// SetTimeouts sets the connect timeout and the timeout of one attempt (0 keeps a value).
func (c *Client) SetTimeouts(connect, attempt time.Duration) error {
	return c.with(func(p *C.cinnox_client) C.cinnox_result {
		return C.cinnox_client_set_timeouts(p, millis(connect), millis(attempt))
	})
}

// SetRetry sets how transient failures are retried: maxAttempts attempts in all (1: no
// retry), the first delay baseDelay (doubled each time, with jitter), no delay longer
// than maxDelay, no retry after maxElapsed since the first attempt.
func (c *Client) SetRetry(maxAttempts uint32, baseDelay, maxDelay, maxElapsed time.Duration) error {
	return c.with(func(p *C.cinnox_client) C.cinnox_result {
		return C.cinnox_client_set_retry(p, C.uint32_t(maxAttempts), millis(baseDelay), millis(maxDelay), millis(maxElapsed))
	})
}

// SetUserAgent sets the User-Agent header.
func (c *Client) SetUserAgent(userAgent string) error {
	ua, f := cstr(userAgent)
	defer f()
	return c.with(func(p *C.cinnox_client) C.cinnox_result { return C.cinnox_client_set_user_agent(p, ua) })
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
