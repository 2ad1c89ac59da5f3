import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

// The repository must work when cloned into an empty folder: no file of the project may refer to a
// path outside it (a sibling folder such as the one the Magento schemas once came from, a machine's
// absolute path, a relative path that climbs above the repository root).

const repoRoot = path.resolve(import.meta.dirname, '../..');

const codeExtensions = new Set(['.ts', '.tsx', '.mts', '.cts', '.js', '.jsx', '.mjs', '.cjs']);

/** The project's files: git's (tracked, and new files not ignored), or, in a copy without .git, a walk that honours .gitignore. */
function projectFiles(): string[] {
  return gitFiles() ?? walkedFiles();
}

function gitFiles(): string[] | null {
  try {
    const git = (...args: string[]) =>
      execFileSync('git', args, { cwd: repoRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 64 * 1024 * 1024 });
    if (fs.realpathSync(git('rev-parse', '--show-toplevel').trim()) !== fs.realpathSync(repoRoot)) return null;
    return git('ls-files', '-z', '--cached', '--others', '--exclude-standard').split('\0').filter(Boolean);
  } catch {
    return null;
  }
}

function walkedFiles(): string[] {
  const ignoredDirs = new Set(['.git', 'node_modules']);
  const ignoredNames = new Set<string>();
  const ignoredSuffixes: string[] = [];
  const gitignore = path.join(repoRoot, '.gitignore');
  const patterns = fs.existsSync(gitignore) ? fs.readFileSync(gitignore, 'utf8').split('\n') : [];
  for (const raw of patterns) {
    const pattern = raw.trim().replace(/^\//, '');
    if (!pattern || pattern.startsWith('#')) continue;
    if (pattern.endsWith('/')) ignoredDirs.add(pattern.slice(0, -1));
    else if (pattern.startsWith('*')) ignoredSuffixes.push(pattern.slice(1));
    else ignoredNames.add(pattern);
  }
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(path.join(repoRoot, dir), { withFileTypes: true })) {
      const rel = dir ? `${dir}/${entry.name}` : entry.name;
      if (ignoredNames.has(entry.name) || ignoredSuffixes.some((suffix) => entry.name.endsWith(suffix))) continue;
      if (entry.isDirectory()) {
        if (!ignoredDirs.has(entry.name)) walk(rel);
      } else if (entry.isFile()) files.push(rel);
    }
  };
  walk('');
  return files;
}

/** The text of a project file, or null for binary files, symlinks and files listed but gone. */
function readText(file: string): string | null {
  const full = path.join(repoRoot, file);
  if (file.split('/').includes('node_modules')) return null;
  const stat = fs.lstatSync(full, { throwIfNoEntry: false });
  if (!stat?.isFile()) return null;
  const bytes = fs.readFileSync(full);
  if (bytes.includes(0)) return null;
  return bytes.toString('utf8');
}

const isOutside = (target: string) => {
  const rel = path.relative(repoRoot, target);
  return rel === '..' || rel.startsWith(`..${path.sep}`) || path.isAbsolute(rel);
};

const lineOf = (text: string, index: number) => text.slice(0, index).split('\n').length;

/** A machine's absolute path: the folder this project's checkouts lived in. */
const absoluteOutside = /(?<![\w.-])\/work\//g;
/** The sibling folder the project used to read, by the names of what it held. */
const siblingFolder = /(?<![\w./\\-])\.\.\/shared\/(?:magento|DESIGN\.md)\b/g;
/** A relative path that climbs (`../x`, `./../x`, `..`), in the places where it names a file, each with the folder it is relative to. */
const climbing = String.raw`((?:\./)?\.\.(?:/[^'"\x60\s]*)?)`;
const codeFileReferences = new RegExp(String.raw`(?:\bfrom\s*|\bimport\s*\(?\s*|\brequire\s*\(\s*|\bnew\s+URL\s*\(\s*)(['"\x60])${climbing}\1`, 'g');
const codeCwdReferences = new RegExp(
  String.raw`(?:\b(?:fs|fsp|fsPromises)\.\w+|\b(?:readFileSync|readFile|writeFileSync|writeFile|existsSync|readdirSync|statSync|createReadStream|spawn|execFileSync|execFile))\s*\(\s*(['"\x60])${climbing}\1`,
  'g',
);
const markdownReferences = /(?:\]\(\s*|\b(?:href|src)=["']?)((?:\.\/)?\.\.\/[^)\s"'>]*)|`((?:\.\/)?(?:\.\.\/)+[^`\s]*\.[A-Za-z0-9]+)`/g;
const otherReferences = /(?<![\w./\\$-])((?:\.\/)?\.\.\/[^\s'"`()[\]{}<>,;|]+)/g;

/** Whether `index` is in a string or a comment of its line (code quoted in a test, an example in a comment), not in code. */
function quotedOrCommented(text: string, index: number): boolean {
  const lineStart = text.lastIndexOf('\n', index - 1) + 1;
  if (/^\s*(\/\*|\*)/.test(text.slice(lineStart, index))) return true;
  let quote: string | null = null;
  for (let i = lineStart; i < index; i++) {
    const char = text[i]!;
    if (char === '\\') i++;
    else if (quote) {
      if (char === quote) quote = null;
    } else if (char === "'" || char === '"' || char === '`') quote = char;
    else if (char === '/' && text[i + 1] === '/') return true;
  }
  return quote !== null;
}

const isMarkdown = (file: string) => /\.(md|markdown)$/i.test(file);

/** Every reference in `text` (the content of `file`, relative to the repository root) to a path outside the repository. */
function outsideReferences(file: string, text: string): string[] {
  const found: string[] = [];
  const fileDir = path.dirname(path.join(repoRoot, file));
  const at = (index: number) => `${file}:${lineOf(text, index)}`;
  for (const match of text.matchAll(absoluteOutside)) found.push(`${at(match.index)}: absolute path outside the repository`);
  for (const match of text.matchAll(siblingFolder)) found.push(`${at(match.index)}: ${match[0]} is a folder beside the repository`);
  const climbs = (index: number, reference: string, base: string) => {
    if (isOutside(path.resolve(base, reference)))
      found.push(`${at(index)}: ${reference} climbs above the repository root from ${path.relative(repoRoot, base) || '.'}`);
  };
  if (codeExtensions.has(path.extname(file))) {
    const inCode = (match: RegExpMatchArray) => !quotedOrCommented(text, match.index!);
    for (const match of text.matchAll(codeFileReferences)) if (inCode(match)) climbs(match.index, match[2]!, fileDir);
    // fs and child-process paths are relative to the working directory: the repository root for npm scripts and tests.
    for (const match of text.matchAll(codeCwdReferences)) if (inCode(match)) climbs(match.index, match[2]!, repoRoot);
    found.push(...climbingPathCalls(file, text, fileDir));
  } else if (isMarkdown(file)) {
    for (const match of text.matchAll(markdownReferences)) climbs(match.index, (match[1] ?? match[2])!, fileDir);
  } else {
    for (const match of text.matchAll(otherReferences)) climbs(match.index, match[1]!, fileDir);
  }
  return found;
}

// path.resolve / path.join calls with a known base, e.g. `path.resolve(repoRoot, '../x')` where
// `const repoRoot = path.resolve(import.meta.dirname, '../..')`: evaluated as far as their arguments are known.

const fileDirExpressions = new Set([
  'import.meta.dirname',
  '__dirname',
  'path.dirname(fileURLToPath(import.meta.url))',
  'dirname(fileURLToPath(import.meta.url))',
  "fileURLToPath(new URL('.', import.meta.url))",
  "fileURLToPath(new URL('./', import.meta.url))",
]);

/** The arguments of the call whose `(` is at `open`, split at top-level commas, with the index after its `)`. */
function callArguments(text: string, open: number): { args: string[]; end: number } | null {
  const args: string[] = [];
  let depth = 0;
  let start = open + 1;
  for (let i = open; i < text.length; i++) {
    const char = text[i]!;
    if (char === "'" || char === '"' || char === '`') {
      const close = text.indexOf(char, i + 1);
      if (close < 0) return null;
      i = close;
    } else if (char === '(' || char === '[' || char === '{') depth++;
    else if (char === ')' || char === ']' || char === '}') {
      depth--;
      if (depth === 0) {
        if (text.slice(start, i).trim()) args.push(text.slice(start, i).trim());
        return { args, end: i + 1 };
      }
    } else if (char === ',' && depth === 1) {
      args.push(text.slice(start, i).trim());
      start = i + 1;
    }
  }
  return null;
}

function evaluate(expression: string, fileDir: string, known: Map<string, string>): string | undefined {
  const expr = expression.replace(/\s+/g, '').replaceAll('"', "'");
  const literal = /^'([^']*)'$/.exec(expr) ?? /^`([^`$]*)`$/.exec(expr);
  if (literal) return literal[1];
  if (fileDirExpressions.has(expr)) return fileDir;
  if (expr === 'process.cwd()') return repoRoot;
  if (known.has(expr)) return known.get(expr);
  const call = /^path\.(dirname|resolve|join)\(/.exec(expr);
  if (!call) return undefined;
  const parsed = callArguments(expr, call[0].length - 1);
  if (!parsed || parsed.end !== expr.length) return undefined;
  if (call[1] === 'dirname') {
    const inner = parsed.args.length === 1 ? evaluate(parsed.args[0]!, fileDir, known) : undefined;
    return inner && path.isAbsolute(inner) ? path.dirname(inner) : undefined;
  }
  return evaluatePathCall(parsed.args, fileDir, known, false);
}

/**
 * `path.resolve(base, 'a', 'b')` → base/a/b (cwd = the repository root), or undefined when an argument is unknown.
 * With `prefix`, as far as the arguments are known: `path.resolve(base, 'a', name)` → base/a.
 */
function evaluatePathCall(args: string[], fileDir: string, known: Map<string, string>, prefix: boolean): string | undefined {
  const parts: string[] = [];
  for (const arg of args) {
    const value = arg.startsWith('...') ? undefined : evaluate(arg, fileDir, known);
    if (value === undefined) {
      if (!prefix) return undefined;
      break;
    }
    parts.push(value);
  }
  if (parts.length === 0) return undefined;
  return path.resolve(repoRoot, ...parts);
}

function climbingPathCalls(file: string, text: string, fileDir: string): string[] {
  const known = new Map<string, string>();
  for (const match of text.matchAll(/\b(?:const|let|var)\s+(\w+)\s*=\s*/g)) {
    if (quotedOrCommented(text, match.index)) continue;
    const rest = text.slice(match.index + match[0].length);
    const call = /^path\.(?:dirname|resolve|join)\s*\(/.exec(rest);
    const expression = call
      ? rest.slice(0, callArguments(rest, call[0].length - 1)?.end ?? 0)
      : [...fileDirExpressions].find((candidate) => rest.replace(/\s+/g, '').replaceAll('"', "'").startsWith(candidate));
    const value = expression ? evaluate(expression, fileDir, known) : undefined;
    if (value !== undefined && path.isAbsolute(value)) known.set(match[1]!, value);
  }
  const found: string[] = [];
  for (const match of text.matchAll(/\bpath\.(resolve|join)\s*\(/g)) {
    if (quotedOrCommented(text, match.index)) continue;
    const parsed = callArguments(text, match.index + match[0].length - 1);
    if (!parsed || parsed.args.length < 2) continue;
    // Only paths that start inside the repository (this file's folder, the root, ...): '/proc/self/fd' is no reference to a project file.
    const base = evaluatePathCall(parsed.args.slice(0, 1), fileDir, known, false);
    const target = evaluatePathCall(parsed.args, fileDir, known, true);
    if (base && !isOutside(base) && target && isOutside(target))
      found.push(`${file}:${lineOf(text, match.index)}: path.${match[1]}(...) reaches ${path.relative(repoRoot, target)}, outside the repository`);
  }
  return found;
}

/** Writes `<up>` for `..` and `<work>`/`<shared>` for the folder names, so that this file does not refer outside itself. */
const sample = (text: string) => text.replaceAll('<up>', '..').replaceAll('<work>', 'work').replaceAll('<shared>', 'shared');

describe('the repository is self-contained', () => {
  it('catches references outside the repository (the ones it once had, and the like)', () => {
    const oldSchemaTest = sample(`
      const repoRoot = path.resolve(import.meta.dirname, '<up>/<up>');
      const readSchema = (file: string): GraphQLSchema =>
        buildSchema(fs.readFileSync(path.resolve(repoRoot, '<up>/<shared>/magento', file), 'utf8'));
    `);
    expect(outsideReferences('test/commerce/schema.test.ts', oldSchemaTest)).toEqual([
      expect.stringMatching(/^test\/commerce\/schema\.test\.ts:4: .*folder beside the repository/),
      expect.stringMatching(/^test\/commerce\/schema\.test\.ts:4: path\.resolve\(\.\.\.\) reaches \.\.\/shared\/magento/),
    ]);
    // The same, spelled differently: no tell-tale folder name, only the climb.
    const renamed = sample(`const root = path.resolve(import.meta.dirname, '<up>/<up>');\nfs.readFileSync(path.join(root, '<up>', 'x.graphql'));`);
    expect(outsideReferences('test/commerce/other.test.ts', renamed)).toEqual([expect.stringContaining('reaches ../x.graphql')]);

    expect(outsideReferences('README.md', sample('The architecture is described in `<up>/<shared>/DESIGN.md`.')).length).toBeGreaterThan(0);
    expect(outsideReferences('README.md', sample('See [the design](<up>/notes/design.md).'))).toEqual([expect.stringContaining('climbs above')]);
    expect(outsideReferences('test/a.test.ts', sample("fs.readFileSync('/<work>/data/x.json')"))).toEqual([expect.stringContaining('absolute path')]);
    expect(
      outsideReferences(
        'bench/x.ts',
        sample("const here = path.dirname(fileURLToPath(import.meta.url));\nconst d = path.resolve(here, '<up>/<up>/data');"),
      ),
    ).toEqual([expect.stringContaining('reaches ../data')]);
    expect(outsideReferences('scripts/x.mjs', sample("import data from '<up>/<up>/data.json';"))).toEqual([expect.stringContaining('climbs above')]);
    expect(outsideReferences('src/main/x.ts', sample("const sdl = await import('<up>/<up>/<up>/schema.graphql?raw');"))).toEqual([
      expect.stringContaining('climbs above'),
    ]);
    expect(outsideReferences('test/a.test.ts', sample("const text = fs.readFileSync('<up>/data.json', 'utf8');"))).toEqual([
      expect.stringContaining('climbs above'),
    ]);
    expect(outsideReferences('electron-builder.yml', sample('extraResources:\n  - from: <up>/assets\n'))).toEqual([
      expect.stringContaining('climbs above'),
    ]);
  });

  it('does not mistake paths inside the repository for outside ones', () => {
    const inside = sample(`
      import { AppError } from '<up>/<up>/shared/errors';
      import { foldAccents } from '<up>/<up>/<up>/shared/text';
      const repoRoot = path.resolve(import.meta.dirname, '<up>/<up>');
      const fixtures = path.resolve(import.meta.dirname, '<up>/fixtures/magento');
      const file = path.resolve(repoRoot, 'test/fixtures', name);
      const rest = [...args]; // spread, not a path
      const label = 'Đang tải..';
    `);
    expect(outsideReferences('src/main/agent/runner.ts', inside.replace(/const (repoRoot|fixtures|file) .*/g, ''))).toEqual([]);
    expect(outsideReferences('test/commerce/schema.test.ts', inside.replace(/import .*/g, ''))).toEqual([]);
    expect(outsideReferences('src/preload/index.ts', sample("import { isChannelName } from '<up>/shared/contract';"))).toEqual([]);
    // Code quoted in a string (a lint rule's test case) or shown in a comment, prose about `<up>/`, system paths.
    const quoted = sample(`
      ['src/renderer/src/x.tsx', "import '<up>/<up>/<up>/preload/index';", RENDERER],
      // A relative specifier is matched by the folder it climbs into (\`<up>/agent\`, \`<up>/<up>/main/agent\`).
      const fd = path.join('/proc/self/fd', name);
    `);
    expect(outsideReferences('eslint.config.js', quoted)).toEqual([]);
    expect(outsideReferences('README.md', sample('Relative imports climb with `<up>/`; see `docs/x.md` and [the layout](#layout).'))).toEqual([]);
  });

  it('no project file refers to a path outside the repository', () => {
    const files = projectFiles();
    // Guard against a listing that silently finds nothing.
    for (const expected of ['README.md', 'package.json', 'test/commerce/schema.test.ts', 'test/main/selfContained.test.ts'])
      expect(files).toContain(expected);
    const texts = files.flatMap((file) => {
      const text = readText(file);
      return text === null ? [] : [{ file, text }];
    });
    expect(texts.filter(({ file }) => codeExtensions.has(path.extname(file))).length).toBeGreaterThan(100);
    expect(texts.flatMap(({ file, text }) => outsideReferences(file, text))).toEqual([]);
  });
});
