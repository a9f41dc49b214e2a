'use strict';
// Typed events, copied out of the library so that they outlive their delivery.

const ffi = require('./ffi');

const { koffi, c } = ffi;
const { InvalidArgumentError } = require('./errors');

/** The event families one subscribes to. */
const EventKind = Object.freeze({
  CALL: 1,
  INBOUND_SMS: 2,
  OUTBOUND_SMS: 3,
  INQUIRY: 4,
  RECORDING: 5,
  EXTERNAL_CONTACT: 6,
  STAFF_CONTACT: 7,
  LABEL: 8,
  INQUIRY_LABEL: 9,
});

/**
 * The number of the family `kind`: an `EventKind` as it is, or a family's name as the
 * `cinnox` command line spells it ('call', 'inbound-sms', 'outbound-sms', …) or its slug
 * ('call-event-sub'). Another name throws an InvalidArgumentError that lists the valid ones.
 */
function familyOf(kind) {
  if (typeof kind !== 'string') return kind;
  for (const [key, number] of Object.entries(EventKind)) {
    const name = key.toLowerCase().replace(/_/g, '-');
    if (kind === name || kind === `${name}-event-sub`) return number;
  }
  const names = Object.keys(EventKind).map((k) => k.toLowerCase().replace(/_/g, '-'));
  throw new InvalidArgumentError(
    `unknown event family ${JSON.stringify(kind)} (one of: ${names.join(', ')}; or a slug such as 'call-event-sub')`,
    { code: 2 },
  );
}

/** The `Status` of an outbound SMS delivery report. */
const DeliveryStatus = Object.freeze({
  NONE: 0,
  QUEUED: 1,
  SUBMITTED: 2,
  DELIVERED: 3,
  UNDELIVERED: 4,
  REJECTED: 5,
  OTHER: 6,
});

function party(p) {
  return { eid: p.eid, number: p.number };
}

function bytes(ptr, len) {
  return len > 0 && ptr ? Buffer.from(koffi.decode(ptr, 'uint8_t', len)) : Buffer.alloc(0);
}

class Event {
  constructor(fields, dedupKey, raw) {
    Object.assign(this, fields);
    /** The event's identity, the same for every delivery of it. */
    Object.defineProperty(this, 'dedupKey', { value: dedupKey, enumerable: false });
    /** The exact body as received. */
    Object.defineProperty(this, 'raw', { value: raw, enumerable: false });
  }
}
/** A call started. */
class CallStart extends Event {}
/** A call ended. */
class CallEnd extends Event {}
/** An SMS received on a CINNOX number. */
class InboundSms extends Event {}
/** The delivery report of an SMS sent through CINNOX. */
class DeliveryReport extends Event {}
/** An event of a family without a typed shape: see `raw`. */
class Other extends Event {}

/** Copy the event at `ev` (a `const cinnox_event *`) into its class. */
function fromPointer(ev) {
  const len = [0];
  const rawPtr = c.cinnox_event_raw(ev, len);
  const raw = bytes(rawPtr, Number(len[0]));
  const dedup = c.cinnox_event_dedup_key(ev) || '';
  const type = c.cinnox_event_get_type(ev);
  if (type === 2 || type === 3) {
    const call = koffi.decode(c.cinnox_event_call(ev), ffi.Call);
    const n = Number(call.callee_count);
    const callees = n > 0 ? koffi.decode(call.callees, ffi.Party, n).map(party) : [];
    const Cls = type === 2 ? CallStart : CallEnd;
    return new Cls(
      { id: call.id, serviceId: call.service_id, caller: party(call.caller), callees },
      dedup,
      raw,
    );
  }
  if (type === 4) {
    const s = koffi.decode(c.cinnox_event_inbound_sms(ev), ffi.InboundSms);
    const content = bytes(s.content, Number(s.content_len));
    return new InboundSms(
      {
        id: s.id,
        eventDescription: s.event_description,
        senderNumber: s.sender_number,
        recipientNumber: s.recipient_number,
        receiveTime: s.receive_time,
        contentType: s.content_type,
        content: content.toString('utf8'),
      },
      dedup,
      raw,
    );
  }
  if (type === 5) {
    const o = koffi.decode(c.cinnox_event_outbound_sms(ev), ffi.OutboundSms);
    return new DeliveryReport(
      {
        reportType: o.report_type,
        appId: o.app_id,
        serviceId: o.service_id,
        transactionId: o.transaction_id,
        recipientNumber: o.recipient_number,
        recipientCountry: o.recipient_country,
        responseCode: o.response_code,
        status: o.status,
        statusText: o.status_text,
        exception: o.exception,
      },
      dedup,
      raw,
    );
  }
  const other = c.cinnox_event_other(ev);
  const o = other ? koffi.decode(other, ffi.OtherEvent) : { family: null, status: null, id: null };
  return new Other({ family: o.family, status: o.status, id: o.id }, dedup, raw);
}

module.exports = {
  EventKind,
  familyOf,
  DeliveryStatus,
  Event,
  CallStart,
  CallEnd,
  InboundSms,
  DeliveryReport,
  Other,
  fromPointer,
};
