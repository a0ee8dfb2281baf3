/**
 * Writes api-spec/fix/FIX44-subset.xml from the FIX 4.4 reference dictionary and
 * api-spec/fix/venue.yaml (see scripts/codegen/fix-dictionary.ts).
 *
 *   npm run fix:dictionary               # FIX44_REFERENCE=/path/to/FIX44.xml to name the reference
 *   npm run fix:dictionary -- --check    # exit 1 if the committed file is not what it derives
 *
 * The reference is not in the repository; where it is absent, --check says so and passes, since
 * there is nothing to compare with (CI runs it on machines that have it).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { deriveFixDictionary, findReference, loadVenuePolicy, referencePath, SUBSET_PATH } from './codegen/fix-dictionary.js';

const check = process.argv.includes('--check');
const reference = check ? findReference() : referencePath();
if (reference === undefined) {
  console.log('fix:dictionary --check: no FIX 4.4 reference dictionary on this machine (set FIX44_REFERENCE); not compared');
} else {
  const xml = deriveFixDictionary(readFileSync(reference, 'utf8'), loadVenuePolicy());
  const before = readFileSync(SUBSET_PATH, 'utf8');
  if (check) {
    if (before !== xml) {
      console.error(`${SUBSET_PATH} is stale or edited by hand: run \`npm run fix:dictionary\` (compared with ${reference})`);
      process.exitCode = 1;
    } else {
      console.log(`${SUBSET_PATH}: what ${reference} and venue.yaml derive`);
    }
  } else {
    writeFileSync(SUBSET_PATH, xml);
    console.log(`${SUBSET_PATH}: ${before === xml ? 'unchanged' : 'written'} (from ${reference})`);
  }
}
