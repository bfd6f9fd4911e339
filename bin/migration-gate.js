#!/usr/bin/env node
// Runs the TypeScript CLI through tsx (a dependency), so `npx migration-gate …` needs no build step.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli.ts');
