/**
 * Standard FIX 4.4 fields of NewOrderSingle and OrderCancelReplaceRequest that would change how
 * an order executes, and that this venue does not carry out. The dictionary knows them (so their
 * format and values are checked); an order that carries one is refused with INVALID_ORDER,
 * never executed as if the field were absent. Descriptive fields (the Instrument component,
 * Parties, Text, HandlInst...) are accepted and not acted on.
 */
import type { FixMessage } from './codec.js';

interface Instruction {
  name: string;
  /** Values that ask for nothing beyond what the venue does anyway. */
  harmless?: readonly string[];
}

export const UNSUPPORTED_ORDER_FIELDS: ReadonlyMap<number, Instruction> = new Map<number, Instruction>([
  [110, { name: 'MinQty' }],
  [111, { name: 'MaxFloor' }],
  [210, { name: 'MaxShow' }],
  [168, { name: 'EffectiveTime' }],
  [432, { name: 'ExpireDate' }],
  [211, { name: 'PegOffsetValue' }],
  [835, { name: 'PegMoveType' }],
  [836, { name: 'PegOffsetType' }],
  [837, { name: 'PegLimitType' }],
  [838, { name: 'PegRoundDirection' }],
  [840, { name: 'PegScope' }],
  [388, { name: 'DiscretionInst' }],
  [389, { name: 'DiscretionOffsetValue' }],
  [841, { name: 'DiscretionMoveType' }],
  [842, { name: 'DiscretionOffsetType' }],
  [843, { name: 'DiscretionLimitType' }],
  [844, { name: 'DiscretionRoundDirection' }],
  [846, { name: 'DiscretionScope' }],
  [847, { name: 'TargetStrategy' }],
  [848, { name: 'TargetStrategyParameters' }],
  [849, { name: 'ParticipationRate' }],
  [516, { name: 'OrderPercent' }],
  [468, { name: 'RoundingDirection' }],
  [469, { name: 'RoundingModulus' }],
  // Prices are per unit and quantities in units: those values are what the venue does.
  [423, { name: 'PriceType', harmless: ['2'] }],
  [854, { name: 'QtyType', harmless: ['0'] }],
]);

/** Which tags below 1024 are listed (all are): most fields are not, and one array read says so. */
const LISTED = new Uint8Array(1024);
for (const tag of UNSUPPORTED_ORDER_FIELDS.keys()) if (tag < LISTED.length) LISTED[tag] = 1;

/** The first field of `m` that asks for an execution instruction the venue does not carry out. */
export function unsupportedInstruction(m: FixMessage): { tag: number; name: string } | undefined {
  for (let i = 0; i < m.tags.length; i++) {
    const tag = m.tags[i]!;
    if (tag >= 0 && tag < LISTED.length && LISTED[tag] === 0) continue;
    const instruction = UNSUPPORTED_ORDER_FIELDS.get(tag);
    if (instruction && !instruction.harmless?.includes(m.valueAt(i))) return { tag, name: instruction.name };
  }
  return undefined;
}
