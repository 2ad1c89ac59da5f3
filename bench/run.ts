/**
 * `npm run bench -- NAME` runs bench/NAME.ts. Each benchmark's default export measures the project
 * against a baseline in the same run and returns its figures; the last line printed is that JSON.
 */
import './rawImports';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const benchDir = path.dirname(fileURLToPath(import.meta.url));
const available = fs
  .readdirSync(benchDir)
  .filter((file) => file.endsWith('.ts') && !['run.ts', 'rawImports.ts'].includes(file) && !file.startsWith('_'))
  .map((file) => file.slice(0, -3))
  .sort();

const name = process.argv[2];
if (!name || !available.includes(name)) {
  console.error(`usage: npm run bench -- NAME   (one of: ${available.join(', ')})`);
  process.exit(2);
}

const module = (await import(pathToFileURL(path.join(benchDir, `${name}.ts`)).href)) as {
  default: () => Promise<Record<string, unknown>>;
};
const figures = await module.default();
console.log(JSON.stringify({ bench: name, ...figures }));
