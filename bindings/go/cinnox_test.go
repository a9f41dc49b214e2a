package cinnox_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	cinnox "github.com/cinnox-rs/cinnox/bindings/go"
)

const (
	appID = "go-app"
	token = "go-token"
	path  = "/cinnox/go-secret"
)

// env is a sandbox with one app, a receiver on a free port and a client of the sandbox.
type env struct {
	sb     *cinnox.Sandbox
	rx     *cinnox.Receiver
	client *cinnox.Client
	url    string
}

func setup(t *testing.T) *env {
	t.Helper()
	sb, err := cinnox.StartSandbox()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sb.Close)
	if err := sb.AddApp(appID, token); err != nil {
		t.Fatal(err)
	}
	rx, err := cinnox.NewReceiver("127.0.0.1:0", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(rx.Close)
	client, err := cinnox.NewClient(sb.BaseURL(), token)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(client.Close)
	return &env{sb: sb, rx: rx, client: client, url: fmt.Sprintf("http://127.0.0.1:%d%s", rx.Port(), path)}
}

type triggered struct {
	recs []cinnox.DeliveryRecord
	err  error
}

// async runs a trigger (which blocks until the receiver answers) on its own goroutine.
func async(f func() ([]cinnox.DeliveryRecord, error)) <-chan triggered {
	ch := make(chan triggered, 1)
	go func() {
		recs, err := f()
		ch <- triggered{recs, err}
	}()
	return ch
}

func recv(t *testing.T, rx *cinnox.Receiver) *cinnox.Delivery {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	d, err := rx.Recv(ctx)
	if err != nil {
		t.Fatalf("recv: %v", err)
	}
	return d
}

func statuses(t *testing.T, ch <-chan triggered) []int {
	t.Helper()
	r := <-ch
	if r.err != nil {
		t.Fatalf("trigger: %v", r.err)
	}
	if len(r.recs) != 1 {
		t.Fatalf("want 1 delivery, got %+v", r.recs)
	}
	return r.recs[0].Statuses
}

func TestWholeFlow(t *testing.T) {
	e := setup(t)
	for _, kind := range []cinnox.EventKind{cinnox.EventCall, cinnox.EventInboundSMS, cinnox.EventOutboundSMS} {
		sub, err := e.client.Subscribe(appID, kind, e.url)
		if err != nil {
			t.Fatalf("subscribe %d: %v", kind, err)
		}
		if !sub.Enabled || sub.URL != e.url || sub.UpdatedAt == "" {
			t.Fatalf("subscription %+v", sub)
		}
	}
	if n := e.sb.SubscriptionCount(); n != 3 {
		t.Fatalf("subscription count %d", n)
	}

	ch := async(func() ([]cinnox.DeliveryRecord, error) {
		return e.sb.TriggerCallStart(cinnox.CallStartOptions{CallID: "call-go-1", CallerNumber: "+85291234567", CalleeNumber: "0085212345678"})
	})
	d := recv(t, e.rx)
	start, ok := d.Event.Payload.(cinnox.CallStart)
	if !ok {
		t.Fatalf("payload %#v", d.Event.Payload)
	}
	if start.ID != "call-go-1" || start.Caller == nil || start.Caller.Number != "+85291234567" ||
		len(start.Callees) != 1 || start.Callees[0].Number != "0085212345678" {
		t.Fatalf("call start %+v", start)
	}
	if len(d.Event.Raw) == 0 || d.Event.Raw[0] != '{' {
		t.Fatalf("raw %q", d.Event.Raw)
	}
	if err := d.Ack(); err != nil {
		t.Fatal(err)
	}
	if err := d.Ack(); !errors.Is(err, cinnox.ErrAnswered) {
		t.Fatalf("second ack: %v", err)
	}
	if got := statuses(t, ch); !reflect.DeepEqual(got, []int{200}) {
		t.Fatalf("statuses %v", got)
	}

	ch = async(func() ([]cinnox.DeliveryRecord, error) { return e.sb.TriggerCallEnd("call-go-1", 0) })
	d = recv(t, e.rx)
	if end, ok := d.Event.Payload.(cinnox.CallEnd); !ok || end.ID != "call-go-1" {
		t.Fatalf("payload %#v", d.Event.Payload)
	}
	d.Ack()
	statuses(t, ch)

	ch = async(func() ([]cinnox.DeliveryRecord, error) {
		return e.sb.TriggerInboundSMS(cinnox.InboundSMSOptions{SenderNumber: "85298765432", Content: "hello from go"})
	})
	d = recv(t, e.rx)
	sms, ok := d.Event.Payload.(cinnox.InboundSMS)
	if !ok || sms.SenderNumber != "85298765432" || sms.Content != "hello from go" || sms.EventDescription != "Inbound SMS" {
		t.Fatalf("payload %#v", d.Event.Payload)
	}
	d.Ack()
	statuses(t, ch)

	ch = async(func() ([]cinnox.DeliveryRecord, error) {
		return e.sb.TriggerDeliveryReport(cinnox.DeliveryReportOptions{TransactionID: "tx-go", Status: "Rejected"})
	})
	d = recv(t, e.rx)
	tdr, ok := d.Event.Payload.(cinnox.DeliveryReport)
	if !ok || tdr.TransactionID != "tx-go" || tdr.Status != cinnox.StatusRejected || tdr.StatusText != "Rejected" {
		t.Fatalf("payload %#v", d.Event.Payload)
	}
	d.Ack()
	statuses(t, ch)

	ch = async(func() ([]cinnox.DeliveryRecord, error) {
		return e.sb.TriggerJSON(cinnox.EventCall, `{"type":"message","message":{"id":"c-9","status":"CallHold"}}`)
	})
	d = recv(t, e.rx)
	if o, ok := d.Event.Payload.(cinnox.Other); !ok || o.Status != "CallHold" || o.ID != "c-9" {
		t.Fatalf("payload %#v", d.Event.Payload)
	}
	d.Ack()
	statuses(t, ch)

	for _, kind := range []cinnox.EventKind{cinnox.EventCall, cinnox.EventInboundSMS, cinnox.EventOutboundSMS} {
		sub, err := e.client.Unsubscribe(appID, kind, e.url)
		if err != nil || sub.Enabled {
			t.Fatalf("unsubscribe %d: %+v %v", kind, sub, err)
		}
	}
	if n := e.sb.SubscriptionCount(); n != 0 {
		t.Fatalf("subscription count %d after unsubscribing", n)
	}
}

func TestFailedDeliveryIsRedelivered(t *testing.T) {
	e := setup(t)
	if _, err := e.client.Subscribe(appID, cinnox.EventCall, e.url); err != nil {
		t.Fatal(err)
	}
	ch := async(func() ([]cinnox.DeliveryRecord, error) {
		return e.sb.TriggerCallStart(cinnox.CallStartOptions{CallID: "call-retry"})
	})
	first := recv(t, e.rx)
	if err := first.Fail(); err != nil {
		t.Fatal(err)
	}
	again := recv(t, e.rx)
	if again.Event.DedupKey != first.Event.DedupKey || string(again.Event.Raw) != string(first.Event.Raw) {
		t.Fatalf("redelivery differs: %q vs %q", again.Event.Raw, first.Event.Raw)
	}
	again.Ack()
	if got := statuses(t, ch); !reflect.DeepEqual(got, []int{500, 200}) {
		t.Fatalf("statuses %v", got)
	}
}

func TestServeHandlerErrorIsRedelivered(t *testing.T) {
	e := setup(t)
	if _, err := e.client.Subscribe(appID, cinnox.EventInboundSMS, e.url); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var mu sync.Mutex
	var seen []string
	served := make(chan error, 1)
	go func() {
		served <- e.rx.Serve(ctx, 2, func(ev *cinnox.Event) error {
			mu.Lock()
			defer mu.Unlock()
			seen = append(seen, ev.Payload.(cinnox.InboundSMS).Content)
			if len(seen) == 1 {
				return errors.New("the database is down")
			}
			if len(seen) == 2 {
				panic("a panicking handler fails the delivery too")
			}
			return nil
		})
	}()
	got := statuses(t, async(func() ([]cinnox.DeliveryRecord, error) {
		return e.sb.TriggerInboundSMS(cinnox.InboundSMSOptions{Content: "retry me"})
	}))
	if !reflect.DeepEqual(got, []int{500, 500, 200}) {
		t.Fatalf("statuses %v", got)
	}
	cancel()
	if err := <-served; !errors.Is(err, context.Canceled) {
		t.Fatalf("serve returned %v", err)
	}
	if !reflect.DeepEqual(seen, []string{"retry me", "retry me", "retry me"}) {
		t.Fatalf("seen %q", seen)
	}
	_, err := e.rx.Recv(context.Background())
	var ce *cinnox.Error
	if !errors.As(err, &ce) || ce.Kind != cinnox.KindClosed {
		t.Fatalf("recv after serve was cancelled: %v", err)
	}
}

func TestBadTokenCarriesCode(t *testing.T) {
	e := setup(t)
	bad, err := cinnox.NewClient(e.sb.BaseURL(), "not-the-token")
	if err != nil {
		t.Fatal(err)
	}
	defer bad.Close()
	_, err = bad.Subscribe(appID, cinnox.EventCall, e.url)
	var ce *cinnox.Error
	if !errors.As(err, &ce) {
		t.Fatalf("want *cinnox.Error, got %v", err)
	}
	if ce.Kind != cinnox.KindAPI || ce.APICode != 6452000 || cinnox.CodeInvalidToken != 6452000 || ce.HTTPStatus != 400 {
		t.Fatalf("error %+v", ce)
	}
	if ce.Kind.String() != "CINNOX_ERR_API" {
		t.Fatalf("kind name %q", ce.Kind.String())
	}
	if n := e.sb.SubscriptionCount(); n != 0 {
		t.Fatalf("subscription count %d", n)
	}
}

func TestInvalidArguments(t *testing.T) {
	_, err := cinnox.NewClient("not a url", "t")
	var ce *cinnox.Error
	if !errors.As(err, &ce) || ce.Kind != cinnox.KindInvalidArgument || ce.Message == "" {
		t.Fatalf("bad base URL: %v", err)
	}
	_, err = cinnox.NewReceiver("nonsense", path)
	if !errors.As(err, &ce) || ce.Message == "" {
		t.Fatalf("bad bind address: %v", err)
	}
}

func TestRecvHonoursCancellation(t *testing.T) {
	e := setup(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := e.rx.Recv(ctx)
		done <- err
	}()
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("recv returned %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("recv did not return after its context was cancelled")
	}

	dctx, dcancel := context.WithTimeout(context.Background(), 120*time.Millisecond)
	defer dcancel()
	begin := time.Now()
	if _, err := e.rx.Recv(dctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("recv past its deadline returned %v", err)
	}
	if waited := time.Since(begin); waited < 120*time.Millisecond {
		t.Fatalf("recv gave up after %v, before its deadline", waited)
	}
}

func TestCloseWakesRecv(t *testing.T) {
	e := setup(t)
	done := make(chan error, 1)
	go func() {
		_, err := e.rx.Recv(context.Background())
		done <- err
	}()
	e.rx.Close()
	err := <-done
	var ce *cinnox.Error
	if !errors.As(err, &ce) || ce.Kind != cinnox.KindClosed {
		t.Fatalf("recv on a closed receiver: %v", err)
	}
	if e.rx.Port() != 0 {
		t.Fatal("a closed receiver has no port")
	}
}

func TestHandlerShutsServeDown(t *testing.T) {
	e := setup(t)
	if _, err := e.client.Subscribe(appID, cinnox.EventCall, e.url); err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() {
		served <- e.rx.Serve(context.Background(), 1, func(ev *cinnox.Event) error {
			if e.rx.Port() == 0 {
				return errors.New("no port inside the handler")
			}
			e.rx.Shutdown()
			return nil
		})
	}()
	got := statuses(t, async(func() ([]cinnox.DeliveryRecord, error) {
		return e.sb.TriggerCallEnd("call-stop", 0)
	}))
	if !reflect.DeepEqual(got, []int{200}) {
		t.Fatalf("statuses %v", got)
	}
	if err := <-served; err != nil {
		t.Fatalf("serve returned %v after a handler shut it down", err)
	}
}

func TestWireVariantsAndRejectedTriggers(t *testing.T) {
	e := setup(t)
	if _, err := e.client.Subscribe(appID, cinnox.EventCall, e.url); err != nil {
		t.Fatal(err)
	}
	ch := async(func() ([]cinnox.DeliveryRecord, error) {
		return e.sb.TriggerCallStart(cinnox.CallStartOptions{
			CallID: "call-wire", CalleeNumber: "85212345678",
			Wire: cinnox.WireCalleesAsArray | cinnox.WireWithoutEnvelope,
		})
	})
	d := recv(t, e.rx)
	raw := string(d.Event.Raw)
	start, ok := d.Event.Payload.(cinnox.CallStart)
	if !ok || start.ID != "call-wire" || len(start.Callees) != 1 || start.Callees[0].Number != "85212345678" {
		t.Fatalf("payload %#v of %s", d.Event.Payload, raw)
	}
	if !strings.Contains(raw, `"callees":[`) || strings.Contains(raw, `"message":{`) {
		t.Fatalf("not the wire variant asked for: %s", raw)
	}
	d.Ack()
	statuses(t, ch)

	var ce *cinnox.Error
	if _, err := e.sb.TriggerJSON(cinnox.EventCall, "not json"); !errors.As(err, &ce) || ce.Kind != cinnox.KindInvalidArgument {
		t.Fatalf("trigger of text that is not JSON: %v", err)
	}
	if _, err := e.sb.TriggerCallEnd("", 1<<20); !errors.As(err, &ce) || ce.Kind != cinnox.KindInvalidArgument {
		t.Fatalf("trigger with unknown wire flags: %v", err)
	}
	if _, err := e.client.Subscribe(appID, cinnox.EventKind(99), e.url); !errors.As(err, &ce) || ce.Kind != cinnox.KindInvalidArgument {
		t.Fatalf("subscribe to an unknown family: %v", err)
	}
}

func TestEventKindsByName(t *testing.T) {
	names := "call, inbound-sms, outbound-sms, inquiry, recording, external-contact, staff-contact, label, inquiry-label"
	var got []string
	for k := cinnox.EventCall; k <= cinnox.EventInquiryLabel; k++ {
		got = append(got, k.String())
		for _, name := range []string{k.String(), k.String() + "-event-sub"} {
			if parsed, err := cinnox.ParseEventKind(name); err != nil || parsed != k {
				t.Fatalf("ParseEventKind(%q) = %v, %v; want %v", name, parsed, err, k)
			}
		}
	}
	if strings.Join(got, ", ") != names {
		t.Fatalf("names %q", got)
	}
	if s := cinnox.EventKind(99).String(); s != "EventKind(99)" {
		t.Fatalf("EventKind(99).String() = %q", s)
	}
	for _, bad := range []string{"sms", "CALL", ""} {
		_, err := cinnox.ParseEventKind(bad)
		var ce *cinnox.Error
		want := fmt.Sprintf("cinnox: CINNOX_ERR_INVALID_ARGUMENT: unknown event family %q (one of: %s; or a slug such as \"call-event-sub\")", bad, names)
		if !errors.As(err, &ce) || ce.Kind != cinnox.KindInvalidArgument || err.Error() != want {
			t.Fatalf("ParseEventKind(%q): %v", bad, err)
		}
	}
	e := setup(t)
	kind, err := cinnox.ParseEventKind("inbound-sms")
	if err != nil {
		t.Fatal(err)
	}
	if sub, err := e.client.Subscribe(appID, kind, e.url); err != nil || !sub.Enabled {
		t.Fatalf("subscribe inbound-sms: %+v, %v", sub, err)
	}
	ch := async(func() ([]cinnox.DeliveryRecord, error) {
		return e.sb.TriggerInboundSMS(cinnox.InboundSMSOptions{})
	})
	d := recv(t, e.rx)
	if _, ok := d.Event.Payload.(cinnox.InboundSMS); !ok {
		t.Fatalf("payload %#v", d.Event.Payload)
	}
	d.Ack()
	if s := statuses(t, ch); !reflect.DeepEqual(s, []int{200}) {
		t.Fatalf("statuses %v", s)
	}
}

func TestClientSettersRebuildTheClient(t *testing.T) {
	e := setup(t)
	var ce *cinnox.Error
	if err := e.client.SetTimeouts(2*time.Second, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	if err := e.client.SetUserAgent("go-test/1"); err != nil {
		t.Fatal(err)
	}
	if err := e.client.SetRetry(0, time.Millisecond, time.Millisecond, time.Second); !errors.As(err, &ce) || ce.Kind != cinnox.KindInvalidArgument {
		t.Fatalf("0 attempts: %v", err)
	}
	// Setters while other goroutines use the client: each call runs on one whole client.
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := e.client.Subscribe(appID, cinnox.EventCall, e.url)
			errs <- err
		}()
	}
	for attempts := uint32(1); attempts <= 3; attempts++ {
		if err := e.client.SetRetry(attempts, 10*time.Millisecond, 20*time.Millisecond, time.Second); err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("subscribe during a change: %v", err)
		}
	}
	if sub, err := e.client.Unsubscribe(appID, cinnox.EventCall, e.url); err != nil || sub.Enabled {
		t.Fatalf("unsubscribe after the changes: %+v %v", sub, err)
	}
	e.client.Close()
	if err := e.client.SetUserAgent("go-test/2"); !errors.As(err, &ce) || ce.Kind != cinnox.KindClosed {
		t.Fatalf("setter on a closed client: %v", err)
	}
	if s := fmt.Sprintf("%+v", e.client); strings.Contains(s, token) {
		t.Fatalf("the client prints its token: %s", s)
	}
}

func TestReceiverConfigMakesReceivers(t *testing.T) {
	e := setup(t)
	var ce *cinnox.Error
	if _, err := cinnox.NewReceiverConfig("/"); !errors.As(err, &ce) || ce.Kind != cinnox.KindInvalidArgument {
		t.Fatalf("path /: %v", err)
	}
	cfg, err := cinnox.NewReceiverConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	defer cfg.Close()
	for _, err := range []error{
		cfg.SetMaxBody(1 << 20),
		cfg.TrustProxy("10.0.0.0/8"),
		cfg.SetDedupWindow(time.Minute),
		cfg.SetTimeouts(5*time.Second, 10*time.Second, time.Second),
		cfg.SetMaxConnections(64),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	// A refused setting is reported at once and kept out of the config.
	if err := cfg.SetMaxConnections(0); !errors.As(err, &ce) || ce.Kind != cinnox.KindInvalidArgument {
		t.Fatalf("0 connections: %v", err)
	}
	if err := cfg.AllowSource("not a network"); !errors.As(err, &ce) || ce.Kind != cinnox.KindInvalidArgument {
		t.Fatalf("bad CIDR: %v", err)
	}
	// One config, several receivers.
	for i := 0; i < 2; i++ {
		rx, err := cinnox.NewReceiverWithConfig("127.0.0.1:0", cfg)
		if err != nil {
			t.Fatalf("receiver %d: %v", i, err)
		}
		url := fmt.Sprintf("http://127.0.0.1:%d%s", rx.Port(), path)
		if sub, err := e.client.Subscribe(appID, cinnox.EventInboundSMS, url); err != nil || !sub.Enabled {
			t.Fatalf("subscribe receiver %d: %+v %v", i, sub, err)
		}
		rx.Close()
	}
	// A setting given after a receiver was made counts for the next one: here no source
	// is allowed but TEST-NET-1, so CINNOX's verification is refused.
	if err := cfg.AllowSource("192.0.2.0/24"); err != nil {
		t.Fatal(err)
	}
	rx, err := cinnox.NewReceiverWithConfig("127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer rx.Close()
	if _, err := e.client.Subscribe(appID, cinnox.EventInboundSMS, fmt.Sprintf("http://127.0.0.1:%d%s", rx.Port(), path)); err == nil {
		t.Fatal("a receiver allowing only 192.0.2.0/24 passed verification from 127.0.0.1")
	}
	cfg.Close()
	if _, err := cinnox.NewReceiverWithConfig("127.0.0.1:0", cfg); !errors.As(err, &ce) || ce.Kind != cinnox.KindClosed {
		t.Fatalf("closed config: %v", err)
	}
}
