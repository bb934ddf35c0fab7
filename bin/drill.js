#!/usr/bin/env node
// The CLI is compiled by `npm run build` (run automatically by `npm install`).
require('../dist/harness/cli/bin.js');
