/**
 * The records of one group-commit batch, encoded as they are appended straight into one buffer
 * (no buffer per record, no copy to join them): the writer hands that buffer to a single
 * positional write once the batch is sealed. Each batch gets a buffer of its own, because a
 * written batch's bytes are kept until it is durable and then given to the replica.
 */
import { maxRecordBytes, recordPayload, sealRecordAt, writeUnsealedRecord, type JournalRecord } from './format.js';

const MIN_CAPACITY = 16 * 1024;

export class RecordBatch {
  private bytes: Buffer;
  private used = 0;
  private records = 0;

  /** `expectedBytes`: about what the batch will hold (the last batch's size), so it rarely grows. */
  constructor(expectedBytes = 0) {
    this.bytes = Buffer.allocUnsafe(Math.max(MIN_CAPACITY, Math.ceil(expectedBytes * 1.25)));
  }

  get count(): number {
    return this.records;
  }

  get byteLength(): number {
    return this.used;
  }

  /** Encodes the record at the end of the batch. Throws RangeError for an oversized command, leaving the batch as it was. */
  append(record: JournalRecord): void {
    const payload = recordPayload(record);
    const room = maxRecordBytes(payload);
    if (this.used + room > this.bytes.length) this.grow(this.used + room);
    this.used = writeUnsealedRecord(this.bytes, this.used, payload);
    this.records++;
  }

  /** Fills in every record's batch end (`batchEnd`, the index of the last one) and CRC; returns the batch's bytes. */
  seal(batchEnd: number): Buffer {
    for (let offset = 0; offset < this.used;) offset = sealRecordAt(this.bytes, offset, batchEnd);
    return this.bytes.subarray(0, this.used);
  }

  private grow(atLeast: number): void {
    const bigger = Buffer.allocUnsafe(Math.max(atLeast, this.bytes.length * 2));
    this.bytes.copy(bigger, 0, 0, this.used);
    this.bytes = bigger;
  }
}
