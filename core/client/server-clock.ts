/**
 * What this machine knows about the Vers server's clock: an interval that
 * certainly holds the offset (server time minus local time), narrowed by
 * every answer. Lost-answer recovery uses it to tell, from a server-side
 * `created_at`, whether a VM or commit certainly existed before a call
 * started — without trusting the two clocks to agree.
 *
 * Two kinds of samples bound the offset:
 * - a `Date` header (1 s resolution) was written between sending the
 *   request and receiving the answer: offset ∈ [D − received, D + 1 s − sent];
 * - the `created_at` of something one of our own calls created lies between
 *   that call's send and receive: offset ∈ [C − received, C − sent], as
 *   tight as that call was short.
 * Samples from different sub-second phases narrow the interval to about
 * one round trip.
 */

/** The server's cached `Date` text may still show the previous second a little after it ended. */
const DATE_HEADER_SLACK_MS = 100;
const DATE_HEADER_RESOLUTION_MS = 1000;

export type PlaceInTime = 'before' | 'after' | 'uncertain';

export class ServerClock {
  private lowMs = -Infinity;
  private highMs = Infinity;

  /** The offset interval [low, high] in ms (server − local); infinite until the first answer. */
  get offsetMs(): { low: number; high: number } {
    return { low: this.lowMs, high: this.highMs };
  }

  /** An answer with this `Date` header came to a request sent at `sentAt` and received at `receivedAt` (local ms). */
  observeDateHeader(header: string | undefined, sentAt: number, receivedAt: number): void {
    const date = header === undefined ? NaN : Date.parse(header);
    if (Number.isNaN(date)) return;
    this.observe(date - receivedAt, date + DATE_HEADER_RESOLUTION_MS + DATE_HEADER_SLACK_MS - sentAt);
  }

  /** Something a call sent at `sentAt` and answered at `receivedAt` created carries this server `created_at`. */
  observeCreatedAt(createdAt: string, sentAt: number, receivedAt: number): void {
    const created = Date.parse(createdAt);
    if (Number.isNaN(created)) return;
    // created_at has microseconds; Date.parse keeps the millisecond below it.
    this.observe(created - receivedAt, created + 1 - sentAt);
  }

  /** Where the server time `serverTime` lies relative to the local instant `localMs`. */
  place(serverTime: string, localMs: number): PlaceInTime {
    const time = Date.parse(serverTime);
    if (Number.isNaN(time)) return 'uncertain';
    if (time + 1 < localMs + this.lowMs) return 'before';
    if (time > localMs + this.highMs) return 'after';
    return 'uncertain';
  }

  private observe(low: number, high: number): void {
    if (!(low <= high)) return;
    const narrowedLow = Math.max(this.lowMs, low);
    const narrowedHigh = Math.min(this.highMs, high);
    if (narrowedLow <= narrowedHigh) {
      this.lowMs = narrowedLow;
      this.highMs = narrowedHigh;
    } else {
      // The samples disagree (the clock was stepped, or answers come from servers with different
      // clocks): know less rather than something wrong.
      this.lowMs = Math.min(this.lowMs, low);
      this.highMs = Math.max(this.highMs, high);
    }
  }
}
