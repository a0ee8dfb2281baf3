/**
 * Writes api-spec/fix/FIX44-subset.xml from the FIX 4.4 reference dictionary and
 * api-spec/fix/venue.yaml (see scripts/codegen/fix-dictionary.ts).
 *
 *   npm run fix:dictionary            # FIX44_REFERENCE=/path/to/FIX44.xml to name the reference
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { deriveFixDictionary, loadVenuePolicy, referencePath, SUBSET_PATH } from './codegen/fix-dictionary.js';

const reference = referencePath();
const xml = deriveFixDictionary(readFileSync(reference, 'utf8'), loadVenuePolicy());
const before = readFileSync(SUBSET_PATH, 'utf8');
writeFileSync(SUBSET_PATH, xml);
console.log(`${SUBSET_PATH}: ${before === xml ? 'unchanged' : 'written'} (from ${reference})`);
