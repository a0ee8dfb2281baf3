/**
 * The client's view of the server clock. Signed requests must carry a timestamp within the
 * server's window (5 s), so a client whose own clock is off measures the offset against
 * `GET /v1/time` and adds it to every signing timestamp.
 */

/** One round trip to the server clock: local send and receive times, and the server's reading. */
export interface ClockSample {
  sentAt: number;
  receivedAt: number;
  serverTime: number;
}

export interface Calibration {
  /** Add to the local clock to get the server's (ms). */
  offsetMs: number;
  /** Round trip of the sample the offset came from (ms); the offset is good to about half of it. */
  roundTripMs: number;
}

export class ServerClock {
  offsetMs = 0;

  /** `localNow` is injectable so tests (and odd platforms) can supply their own clock. */
  constructor(readonly localNow: () => number = Date.now) {}

  /** The estimated server time, in whole ms. */
  now(): number {
    return Math.round(this.localNow() + this.offsetMs);
  }

  /**
   * Sets the offset from the sample with the shortest round trip (the least queuing noise),
   * assuming the server read its clock halfway through that trip.
   */
  applySamples(samples: readonly ClockSample[]): Calibration {
    let best: ClockSample | undefined;
    for (const s of samples) if (!best || s.receivedAt - s.sentAt < best.receivedAt - best.sentAt) best = s;
    if (!best) throw new Error('clock calibration needs at least one sample');
    const roundTripMs = best.receivedAt - best.sentAt;
    this.offsetMs = Math.round(best.serverTime - (best.sentAt + roundTripMs / 2));
    return { offsetMs: this.offsetMs, roundTripMs };
  }
}
