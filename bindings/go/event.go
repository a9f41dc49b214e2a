package cinnox

/*
#include "cinnox.h"
*/
import "C"

import "unsafe"

// Event is one notification CINNOX delivered: its typed view and its exact body.
type Event struct {
	// Payload is one of CallStart, CallEnd, InboundSMS, DeliveryReport or Other.
	Payload Payload
	// Raw is the exact body as received.
	Raw []byte
	// DedupKey identifies the notification (family|id|status): a redelivery has the same.
	DedupKey string
}

// Payload is the typed view of an event: CallStart, CallEnd, InboundSMS, DeliveryReport
// or Other. Strings the notification did not carry read as "".
type Payload interface{ isPayload() }

// Party is a party of a call.
type Party struct {
	EID    string // the staff EID
	Number string // the phone number, as text exactly as sent (a leading + or 0 is kept)
}

// Call is what call starts and call ends carry.
type Call struct {
	ID        string  // the call ID, shared by the start and end of one call
	ServiceID string  // the CINNOX service ID
	Caller    *Party  // nil when the event names no caller
	Callees   []Party // one object or an array on the wire; empty when none
}

// CallStart is a call that started.
type CallStart struct{ Call }

// CallEnd is a call that ended.
type CallEnd struct{ Call }

// InboundSMS is a new inbound SMS.
type InboundSMS struct {
	ID               string // id
	EventDescription string // eventDescription (normally "Inbound SMS")
	SenderNumber     string // senderNumber, as text exactly as sent
	RecipientNumber  string // recipientNumber, as text exactly as sent
	ReceiveTime      string // receiveTime, RFC 3339 text as sent
	ContentType      string // contentType (normally "Text")
	Content          string // content (may hold NUL bytes)
}

// DeliveryStatus is the Status of an outbound SMS delivery report.
type DeliveryStatus uint32

// The delivery statuses (the C ABI's cinnox_delivery_status numbers).
const (
	StatusNone        DeliveryStatus = C.CINNOX_DELIVERY_STATUS_NONE        // no Status field
	StatusQueued      DeliveryStatus = C.CINNOX_DELIVERY_STATUS_QUEUED      // "Queued"
	StatusSubmitted   DeliveryStatus = C.CINNOX_DELIVERY_STATUS_SUBMITTED   // "Submitted"
	StatusDelivered   DeliveryStatus = C.CINNOX_DELIVERY_STATUS_DELIVERED   // "Delivered"
	StatusUndelivered DeliveryStatus = C.CINNOX_DELIVERY_STATUS_UNDELIVERED // "Undelivered"
	StatusRejected    DeliveryStatus = C.CINNOX_DELIVERY_STATUS_REJECTED    // "Rejected"
	StatusOther       DeliveryStatus = C.CINNOX_DELIVERY_STATUS_OTHER       // other text: see StatusText
)

// DeliveryReport is an outbound SMS delivery report ("TDR").
type DeliveryReport struct {
	ReportType       string         // Type (normally "tdr")
	AppID            string         // AppID
	ServiceID        string         // ServiceID
	TransactionID    string         // TransactionID
	RecipientNumber  string         // RecipientNumber, as text exactly as sent
	RecipientCountry string         // RecipientCountry, ISO 3166 alpha-2
	ResponseCode     string         // ResponseCode as text (blank, or "400")
	Status           DeliveryStatus // Status; StatusOther for text this version does not know
	StatusText       string         // Status as sent
	Exception        string         // Exception
}

// Other is any other notification (other families, unknown statuses or shapes): what
// could be recognised of it; the whole body is in Event.Raw.
type Other struct {
	Family string // the family or type named in the body
	Status string // the status named in the body
	ID     string // the id named in the body
}

func (CallStart) isPayload()      {}
func (CallEnd) isPayload()        {}
func (InboundSMS) isPayload()     {}
func (DeliveryReport) isPayload() {}
func (Other) isPayload()          {}

func party(p C.cinnox_party) Party { return Party{EID: gostr(p.eid), Number: gostr(p.number)} }

func callView(c *C.cinnox_call) Call {
	v := Call{ID: gostr(c.id), ServiceID: gostr(c.service_id)}
	if c.caller.eid != nil || c.caller.number != nil {
		p := party(c.caller)
		v.Caller = &p
	}
	if c.callees != nil && c.callee_count > 0 {
		for _, p := range unsafe.Slice(c.callees, int(c.callee_count)) {
			v.Callees = append(v.Callees, party(p))
		}
	}
	return v
}

// newEvent copies a lent event into Go memory.
func newEvent(ev *C.cinnox_event) *Event {
	var n C.size_t
	raw := C.cinnox_event_raw(ev, &n)
	e := &Event{
		Raw:      C.GoBytes(unsafe.Pointer(raw), C.int(n)),
		DedupKey: gostr(C.cinnox_event_dedup_key(ev)),
	}
	switch C.cinnox_event_get_type(ev) {
	case C.CINNOX_EVENT_TYPE_CALL_START:
		e.Payload = CallStart{callView(C.cinnox_event_call(ev))}
	case C.CINNOX_EVENT_TYPE_CALL_END:
		e.Payload = CallEnd{callView(C.cinnox_event_call(ev))}
	case C.CINNOX_EVENT_TYPE_INBOUND_SMS:
		s := C.cinnox_event_inbound_sms(ev)
		content := ""
		if s.content != nil {
			content = C.GoStringN(s.content, C.int(s.content_len))
		}
		e.Payload = InboundSMS{
			ID: gostr(s.id), EventDescription: gostr(s.event_description),
			SenderNumber: gostr(s.sender_number), RecipientNumber: gostr(s.recipient_number),
			ReceiveTime: gostr(s.receive_time), ContentType: gostr(s.content_type), Content: content,
		}
	case C.CINNOX_EVENT_TYPE_OUTBOUND_SMS:
		s := C.cinnox_event_outbound_sms(ev)
		e.Payload = DeliveryReport{
			ReportType: gostr(s.report_type), AppID: gostr(s.app_id), ServiceID: gostr(s.service_id),
			TransactionID: gostr(s.transaction_id), RecipientNumber: gostr(s.recipient_number),
			RecipientCountry: gostr(s.recipient_country), ResponseCode: gostr(s.response_code),
			Status: DeliveryStatus(s.status), StatusText: gostr(s.status_text), Exception: gostr(s.exception),
		}
	default:
		o := Other{}
		if s := C.cinnox_event_other(ev); s != nil {
			o = Other{Family: gostr(s.family), Status: gostr(s.status), ID: gostr(s.id)}
		}
		e.Payload = o
	}
	return e
}
