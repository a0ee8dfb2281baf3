/** The write-ahead journal: append-only, length-prefixed, checksummed segments with group commit. */
export { JournalCorruptError } from './errors.js';
export { nodeFileSystem, syncDirectory, type AppendFile, type JournalFileSystem } from './file-system.js';
export { decodeRecords, type JournalRecord } from './format.js';
export { openJournal, type OpenedJournal, type OpenJournalOptions } from './open.js';
export { scanJournal, type JournalScan, type SegmentSummary, type TornTail } from './reader.js';
export { retireSegments } from './retention.js';
export { listSegments, segmentFileName } from './segments.js';
export { JournalClosedError, JournalWriter, DEFAULT_MAX_SEGMENT_BYTES, type BatchTiming, type JournalWriterOptions } from './writer.js';
