// Type declarations of the cinnox package (index.js).

/** The event families one subscribes to. */
export declare const EventKind: {
  readonly CALL: 1;
  readonly INBOUND_SMS: 2;
  readonly OUTBOUND_SMS: 3;
  readonly INQUIRY: 4;
  readonly RECORDING: 5;
  readonly EXTERNAL_CONTACT: 6;
  readonly STAFF_CONTACT: 7;
  readonly LABEL: 8;
  readonly INQUIRY_LABEL: 9;
};
export type EventKind = (typeof EventKind)[keyof typeof EventKind];
/** A family by the name the `cinnox` command line gives it, or by its slug. */
export type EventFamilyName = EventShortName | `${EventShortName}-event-sub`;
/** The families' names on the `cinnox` command line. */
export type EventShortName =
  | 'call'
  | 'inbound-sms'
  | 'outbound-sms'
  | 'inquiry'
  | 'recording'
  | 'external-contact'
  | 'staff-contact'
  | 'label'
  | 'inquiry-label';

/** The `Status` of an outbound SMS delivery report. */
export declare const DeliveryStatus: {
  readonly NONE: 0;
  readonly QUEUED: 1;
  readonly SUBMITTED: 2;
  readonly DELIVERED: 3;
  readonly UNDELIVERED: 4;
  readonly REJECTED: 5;
  readonly OTHER: 6;
};
export type DeliveryStatus = (typeof DeliveryStatus)[keyof typeof DeliveryStatus];

/** Other wire shapes the spec allows, for the sandbox's triggers (OR them). */
export declare const Wire: {
  readonly NUMBERS_AS_JSON_NUMBERS: 1;
  readonly CALLEES_AS_ARRAY: 2;
  readonly WITHOUT_ENVELOPE: 4;
};

/** CINNOX's code for a wrong App Token. */
export declare const CODE_INVALID_TOKEN: 6452000;

export interface Party {
  eid: string | null;
  number: string | null;
}

/** Every event: its identity and the exact body as received. */
export declare class Event {
  readonly dedupKey: string;
  readonly raw: Buffer;
}
export declare class CallStart extends Event {
  id: string;
  serviceId: string | null;
  caller: Party;
  callees: Party[];
}
export declare class CallEnd extends CallStart {}
export declare class InboundSms extends Event {
  id: string;
  eventDescription: string | null;
  senderNumber: string | null;
  recipientNumber: string | null;
  receiveTime: string | null;
  contentType: string | null;
  content: string;
}
export declare class DeliveryReport extends Event {
  reportType: string | null;
  appId: string | null;
  serviceId: string | null;
  transactionId: string | null;
  recipientNumber: string | null;
  recipientCountry: string | null;
  responseCode: string | null;
  status: DeliveryStatus;
  statusText: string | null;
  exception: string | null;
}
export declare class Other extends Event {
  family: string | null;
  status: string | null;
  id: string | null;
}
export type AnyEvent = CallStart | CallEnd | InboundSms | DeliveryReport | Other;

/** A failure reported by the cinnox library. */
export declare class CinnoxError extends Error {
  /** e.g. "invalid_argument", "api", "timeout", "closed". */
  readonly kind: string;
  /** The library's cinnox_result code. */
  readonly code: number;
  readonly httpStatus: number | null;
  /** CINNOX's own error code, when CINNOX answered with an error object. */
  readonly apiCode: number | null;
}
export { CinnoxError as Error };
export declare class InvalidArgumentError extends CinnoxError {}
export declare class TransportError extends CinnoxError {}
export declare class TimeoutError extends CinnoxError {}
export declare class ApiError extends CinnoxError {}
export declare class UnexpectedResponseError extends CinnoxError {}
export declare class BadRequestError extends CinnoxError {}
export declare class IoError extends CinnoxError {}
export declare class ClosedError extends CinnoxError {}
export declare class WrongTypeError extends CinnoxError {}

export interface Subscription {
  enabled: boolean;
  url: string | null;
  updatedAt: string | null;
}

export interface ClientOptions {
  /** Milliseconds. */
  connectTimeout?: number;
  /** Milliseconds, per step of an attempt. */
  timeout?: number;
  userAgent?: string;
}

export declare class Client {
  constructor(baseUrl: string, appToken: string, options?: ClientOptions);
  subscribe(appId: string, kind: EventKind | EventFamilyName, url: string): Subscription;
  unsubscribe(appId: string, kind: EventKind | EventFamilyName, url: string): Subscription;
  subscribeAsync(appId: string, kind: EventKind | EventFamilyName, url: string): Promise<Subscription>;
  unsubscribeAsync(appId: string, kind: EventKind | EventFamilyName, url: string): Promise<Subscription>;
  close(): void;
}

export declare class Delivery {
  readonly event: AnyEvent;
  readonly answered: boolean;
  ack(): void;
  fail(): void;
}

export interface RecvOptions {
  /** Milliseconds; none: wait without a deadline. */
  timeout?: number;
}

export interface InboxStats {
  pending: number;
  inFlight: number;
  done: number;
  dead: number;
  oldestPendingAgeMs: number;
}

export declare class Inbox implements AsyncIterable<Delivery> {
  constructor(location: string);
  readonly location: string;
  /** Opens the inbox again with this schedule (ms); throws InvalidArgumentError while a
   * Receiver made with this inbox is open: call it before making one. */
  setRetry(options: { maxAttempts: number; firstDelay?: number; maxDelay?: number }): void;
  recv(options?: RecvOptions): Delivery;
  recvAsync(options?: RecvOptions): Promise<Delivery>;
  [Symbol.asyncIterator](): AsyncIterator<Delivery>;
  stats(): InboxStats;
  replayDead(): number;
  close(): void;
}

export interface ReceiverOptions {
  path?: string;
  inbox?: Inbox;
  maxBody?: number;
  allowSources?: string[];
  trustedProxies?: string[];
  /** Milliseconds; 0 turns duplicate detection off. */
  dedupWindow?: number;
  maxConnections?: number;
  ioThreads?: number;
  /** Milliseconds. */
  headerTimeout?: number;
  perSourceLimit?: number;
  /** "IP:port": GET /metrics there. */
  metricsBind?: string;
}

export interface ServeOptions {
  workers?: number;
  onError?: (error: unknown, event: AnyEvent) => void;
}

export declare class Receiver implements AsyncIterable<Delivery> {
  constructor(bind?: string, options?: ReceiverOptions);
  readonly path: string;
  readonly port: number;
  readonly metricsPort: number | null;
  readonly url: string;
  readonly closed: boolean;
  readonly inbox: Inbox | null;
  recv(options?: RecvOptions): Delivery;
  recvAsync(options?: RecvOptions): Promise<Delivery>;
  [Symbol.asyncIterator](): AsyncIterator<Delivery>;
  serve(handler: (event: AnyEvent) => unknown, options?: ServeOptions): Promise<void>;
  shutdown(): void;
  /** Every counter of the library by its camelCase name (`requests`, `acks`,
   * `refusedNotFound`, …, `fdExhaustions`, `slowReaders`, `storeFailures`). */
  stats(): Record<string, number>;
  metrics(): string;
  close(): void;
}

export interface DeliveryRecord {
  delivered: boolean;
  attempts: number;
  /** The HTTP status of each attempt (0: no answer). */
  statuses: number[];
  latencyMs: number;
}

export interface SandboxOptions {
  appId?: string;
  appToken?: string;
  /** Milliseconds per attempt. */
  deliveryTimeout?: number;
  /** Milliseconds before each redelivery. */
  redeliveryDelays?: number[];
}

export interface CallStartOptions {
  callId?: string | null;
  callerNumber?: string | null;
  calleeNumber?: string | null;
  wire?: number;
}
export interface CallEndOptions {
  callId?: string | null;
  wire?: number;
}
export interface InboundSmsOptions {
  senderNumber?: string | null;
  recipientNumber?: string | null;
  content?: string | null;
  wire?: number;
}
export interface DeliveryReportOptions {
  transactionId?: string | null;
  status?: string | null;
  wire?: number;
}

export declare class Sandbox {
  constructor(options?: SandboxOptions);
  readonly baseUrl: string;
  readonly subscriptionCount: number;
  addApp(appId: string, appToken: string): void;
  triggerJson(kind: EventKind | EventFamilyName, json: string): DeliveryRecord[];
  triggerJsonAsync(kind: EventKind | EventFamilyName, json: string): Promise<DeliveryRecord[]>;
  triggerCallStart(options?: CallStartOptions): DeliveryRecord[];
  triggerCallStartAsync(options?: CallStartOptions): Promise<DeliveryRecord[]>;
  triggerCallEnd(options?: CallEndOptions): DeliveryRecord[];
  triggerCallEndAsync(options?: CallEndOptions): Promise<DeliveryRecord[]>;
  triggerInboundSms(options?: InboundSmsOptions): DeliveryRecord[];
  triggerInboundSmsAsync(options?: InboundSmsOptions): Promise<DeliveryRecord[]>;
  triggerDeliveryReport(options?: DeliveryReportOptions): DeliveryRecord[];
  triggerDeliveryReportAsync(options?: DeliveryReportOptions): Promise<DeliveryRecord[]>;
  close(): void;
}

export declare function parse(body: Buffer | string): AnyEvent;
export declare function libraryVersion(): string;
export declare const libraryFile: string;
