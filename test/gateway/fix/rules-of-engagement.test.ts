import { readFileSync } from 'node:fs';
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { fixLogonPrehash } from '../../../server/src/auth/canonical.js';
import { DEFAULT_CONFIG } from '../../../server/src/config/schema.js';
import { loadDictionary } from '../../../server/src/gateway/fix/dictionary.js';
import { SUBSET_DICTIONARY } from './helpers.js';

const doc = readFileSync(new URL('../../../docs/fix-rules-of-engagement.md', import.meta.url), 'utf8');

describe('FIX rules of engagement', () => {
  it('has a worked signature example that the shared prehash and HMAC reproduce', () => {
    const secret = /secret `([A-Za-z0-9_-]+)`/.exec(doc)![1]!;
    const documented = /signature = base64\(HMAC-SHA256\(secret, prehash\)\) = (\S+)/.exec(doc)![1]!;
    const prehash = fixLogonPrehash({ sendingTime: '20250615-15:06:40.000', msgType: 'A', msgSeqNum: 1, senderCompId: 'CLIENT1', targetCompId: DEFAULT_CONFIG.fix.compId });
    expect(createHmac('sha256', Buffer.from(secret, 'base64url')).update(prehash).digest('base64')).toBe(documented);
  });

  it('uses the demo CompID in its settings and examples', () => {
    expect(doc).not.toMatch(/\bEXCH\b/);
    expect(doc).toContain(`\`${DEFAULT_CONFIG.fix.compId}\``);
  });

  it('documents every message of the dictionary', () => {
    for (const m of loadDictionary(SUBSET_DICTIONARY).messages.values()) expect(doc, m.name).toContain(m.name);
  });
});
