#!/usr/bin/env node
// Thin launcher: the CLI lives in the compiled output so `npx idemchaos` pays for nothing else.
import '../dist/src/cli/main.js';
