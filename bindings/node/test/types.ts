// Compiled (never run) by the tests with `tsc --noEmit --strict` against index.d.ts, so
// that the declarations match the way the package is used.
import * as cinnox from 'cinnox';

async function main(): Promise<void> {
  const sandbox = new cinnox.Sandbox({ appId: 'app-1', appToken: 'token', redeliveryDelays: [10] });
  const inbox = new cinnox.Inbox('/tmp/inbox.db');
  inbox.setRetry({ maxAttempts: 3, firstDelay: 1000 });
  const rx = new cinnox.Receiver('127.0.0.1:0', { inbox, metricsBind: '127.0.0.1:0', allowSources: ['10.0.0.0/8'] });
  const client = new cinnox.Client(sandbox.baseUrl, 'token', { timeout: 5000 });
  const sub: cinnox.Subscription = await client.subscribeAsync('app-1', cinnox.EventKind.CALL, rx.url);
  const enabled: boolean = sub.enabled;
  await client.unsubscribeAsync('app-1', 'inbound-sms', rx.url);
  client.subscribe('app-1', 'outbound-sms-event-sub', rx.url);
  const records: cinnox.DeliveryRecord[] = await sandbox.triggerCallStartAsync({ callId: 'c', wire: cinnox.Wire.CALLEES_AS_ARRAY });
  const statuses: number[] = records[0].statuses;
  const d: cinnox.Delivery = await rx.recvAsync({ timeout: 1000 });
  const ev: cinnox.AnyEvent = d.event;
  if (ev instanceof cinnox.CallStart) {
    const caller: string | null = ev.caller.number;
    const raw: Buffer = ev.raw;
    void caller, raw;
  } else if (ev instanceof cinnox.InboundSms) {
    const text: string = ev.content;
    void text;
  } else if (ev instanceof cinnox.DeliveryReport) {
    const status: cinnox.DeliveryStatus = ev.status;
    void status;
  }
  d.ack();
  for await (const delivery of rx) {
    delivery.fail();
  }
  await rx.serve(async (event) => { void event.dedupKey; }, { workers: 4, onError: (e, event) => void [e, event] });
  try {
    client.subscribe('app-1', cinnox.EventKind.INBOUND_SMS, rx.url);
  } catch (e) {
    if (e instanceof cinnox.ApiError && e.apiCode === cinnox.CODE_INVALID_TOKEN) {
      const status: number | null = e.httpStatus;
      void status;
    }
  }
  const stats: cinnox.InboxStats = inbox.stats();
  const port: number | null = rx.metricsPort;
  const text: string = rx.metrics();
  const parsed: cinnox.AnyEvent = cinnox.parse('{}');
  void enabled, statuses, stats, port, text, parsed;
  rx.close();
  client.close();
  sandbox.close();
  inbox.close();
}

void main;
