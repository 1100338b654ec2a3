#!/usr/bin/env node
// The run profile's JSON Schema as the option table (src/config/options.ts) makes it, on stdout.
// After changing an option and `make ts`:
//   node scripts/profile-schema.mjs > src/config/profile.schema.json
// (test/options.test.ts fails while the checked-in file differs from it).
import { profileSchema } from '../dist/src/config/options.js';

process.stdout.write(JSON.stringify(profileSchema(), null, 2) + '\n');
