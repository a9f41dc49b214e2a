package cinnox_test

import (
	"context"
	"errors"
	"fmt"

	cinnox "github.com/cinnox-rs/cinnox/bindings/go"
)

// receive subscribes, then receives inbound SMS until ctx ends (compiled by go test).
func receive(ctx context.Context, baseURL, appToken, appID, publicURL string) error {
	rx, err := cinnox.NewReceiver("0.0.0.0:8080", "/cinnox/s3cr3t")
	if err != nil {
		return err
	}
	defer rx.Close()
	client, err := cinnox.NewClient(baseURL, appToken)
	if err != nil {
		return err
	}
	defer client.Close()
	if _, err := client.Subscribe(appID, cinnox.EventInboundSMS, publicURL); err != nil {
		var e *cinnox.Error
		if errors.As(err, &e) && e.APICode == cinnox.CodeInvalidToken {
			fmt.Println("CINNOX refused the App Token")
		}
		return err
	}
	for {
		d, err := rx.Recv(ctx) // ctx.Err() once ctx is cancelled
		if err != nil {
			return err
		}
		if sms, ok := d.Event.Payload.(cinnox.InboundSMS); ok {
			fmt.Println(sms.SenderNumber, sms.Content)
		}
		d.Ack() // or d.Fail(): CINNOX delivers it again
	}
}

// Receiving inbound SMS (compiled by go test, never run: it binds 0.0.0.0:8080).
func ExampleReceiver_Recv() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_ = receive(ctx, "https://your-cinnox-api-host/", "YOUR_APP_TOKEN", "YOUR_APP_ID", "https://you.example/cinnox/s3cr3t")
}
