/**
 * A NewOrderSingle's reply promise (it settles once the order's first ExecutionReport is sent) is
 * made only for an observer that waits for it, the gateway span; otherwise the order is answered
 * the same, with no promise made for nobody.
 */
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import type { FixSessionObserver } from '../../../server/src/gateway/fix/session.js';
import { formatUtcTimestamp } from '../../../server/src/gateway/fix/time.js';
import { fixObserver } from '../../../server/src/observability/fix-observer.js';
import { disabledTracing, tracingTo } from '../../../server/src/observability/tracing.js';
import { createTradingMetrics } from '../../../server/src/observability/trading-metrics.js';
import { eventually } from '../../helpers/eventually.js';
import { loggedOn, startVenue, type TestVenue } from './harness.js';

let venue: TestVenue | undefined;
afterEach(async () => {
  await venue?.close();
  venue = undefined;
});

/** An observer that keeps what each application message's handling returned. */
function observerKeeping(returned: unknown[], awaitsReplies: boolean | undefined): FixSessionObserver {
  const observer: FixSessionObserver = {
    received: () => {},
    sent: () => {},
    resendRequest: () => {},
    sessionReject: () => {},
    businessReject: () => {},
    dispatch: (_msgType, handle) => void returned.push(handle()),
  };
  return awaitsReplies === undefined ? observer : { ...observer, awaitsReplies };
}

async function placeOne(observer: FixSessionObserver): Promise<string | undefined> {
  venue = await startVenue({ acceptor: { observer } });
  const client = await loggedOn(venue, 'CLIENT', { reset: true });
  client.send('D', [[11, 'R1'], [55, 'BTC-USD'], [54, '1'], [60, formatUtcTimestamp(Date.now())], [38, '1'], [40, '2'], [44, '100']]);
  const report = await client.next('8');
  client.close();
  return report.get(150);
}

describe('the reply promise of a NewOrderSingle', () => {
  it('is made when the observer waits for replies, and settles once the report is sent', async () => {
    for (const awaitsReplies of [true, undefined]) {
      const returned: unknown[] = [];
      expect(await placeOne(observerKeeping(returned, awaitsReplies))).toBe('0');
      expect(returned).toHaveLength(1);
      expect(returned[0]).toBeInstanceOf(Promise);
      await expect(returned[0]).resolves.toBeUndefined();
      await venue!.close();
      venue = undefined;
    }
  });

  it('is not made when the observer does not wait for replies; the order is answered as before', async () => {
    const returned: unknown[] = [];
    expect(await placeOne(observerKeeping(returned, false))).toBe('0');
    await eventually(() => expect(returned).toHaveLength(1));
    expect(returned[0]).toBeUndefined();
  });
});

describe('the FIX observer', () => {
  it('waits for replies only when spans are recorded', async () => {
    const metrics = createTradingMetrics(new Registry());
    expect(fixObserver(metrics, disabledTracing().tracer).awaitsReplies).toBe(false);
    const tracing = tracingTo(new InMemorySpanExporter(), { batch: false });
    try {
      expect(fixObserver(metrics, tracing.tracer).awaitsReplies).toBe(true);
    } finally {
      await tracing.shutdown();
    }
  });
});
