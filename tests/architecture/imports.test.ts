import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, posix, resolve } from 'node:path';
import * as ts from 'typescript';
import { repoRoot } from '../../core/base/repo-root';

/**
 * The tree shows the flow (schema.json → core → bridges): every import of
 * every .ts file of the project runs the way tests/architecture/layers.json
 * allows, no files import each other in a circle, and no production code
 * imports tests/ or bench/. Imports are read with the TypeScript parser:
 * `import`/`export … from` (type-only ones too), `import x = require()`,
 * `require('…')`, `import('…')` and `typeof import('…')` with a literal path.
 *
 * ARCHITECTURE_ROOT checks another tree (a checkout of an older commit)
 * against this table; ARCHITECTURE_LAYERS another table.
 */

interface Layer {
  name: string;
  paths: string[];
  mayImport: string[];
}

interface Import {
  from: string;
  to: string;
  line: number;
  specifier: string;
}

const ROOT = resolve(process.env.ARCHITECTURE_ROOT ?? repoRoot());
const TABLE = process.env.ARCHITECTURE_LAYERS ?? join(repoRoot(), 'tests', 'architecture', 'layers.json');
const LAYERS = (JSON.parse(readFileSync(TABLE, 'utf8')) as { layers: Layer[] }).layers;
const TESTS_LAYER = 'tests';
/** Not the project's source: installed packages, build output, tool state, run-time files of tests and benchmarks. */
const SKIPPED_DIRECTORIES = new Set(['node_modules', 'dist', 'tests/runtime', 'bench/out']);

/** Every .ts file under `root` (repository-relative, posix separators), declaration files aside. */
function projectFiles(root: string, dir = ''): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
    const path = dir === '' ? entry.name : `${dir}/${entry.name}`;
    if (entry.isDirectory()) {
      if (!entry.name.startsWith('.') && !SKIPPED_DIRECTORIES.has(path)) files.push(...projectFiles(root, path));
    } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) {
      files.push(path);
    }
  }
  return files.sort();
}

/** The module specifiers a source file names, with their lines. */
function moduleSpecifiers(fileName: string, text: string): Array<{ specifier: string; line: number }> {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const found: Array<{ specifier: string; line: number }> = [];
  const add = (literal: ts.Node): void => {
    if (ts.isStringLiteralLike(literal)) found.push({ specifier: literal.text, line: source.getLineAndCharacterOfPosition(literal.getStart(source)).line + 1 });
  };
  const visit = (node: ts.Node): void => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier !== undefined) {
      add(node.moduleSpecifier);
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      add(node.moduleReference.expression);
    } else if (ts.isCallExpression(node) && node.arguments.length > 0) {
      const callee = node.expression;
      if (callee.kind === ts.SyntaxKind.ImportKeyword || (ts.isIdentifier(callee) && callee.text === 'require')) add(node.arguments[0] as ts.Expression);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      add(node.argument.literal);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** String literals that name the tests/ or bench/ folder or a path in it (`join(root, 'tests', …)`), with their lines. */
function testPathLiterals(fileName: string, text: string): number[] {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const lines: number[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isStringLiteralLike(node) && /^(tests|bench)(\/|$)/.test(node.text)) lines.push(source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1);
    ts.forEachChild(node, visit);
  };
  visit(source);
  return lines;
}

/** The project file a relative specifier names (as TypeScript and Node resolve it), or undefined. */
function resolveSpecifier(root: string, from: string, specifier: string): string | undefined {
  const base = posix.normalize(posix.join(posix.dirname(from), specifier));
  const candidates = [base, `${base}.ts`, `${base}/index.ts`, base.replace(/\.js$/, '.ts')];
  return candidates.find((candidate) => existsSync(join(root, candidate)) && statSync(join(root, candidate)).isFile());
}

/** Every import between project files; relative specifiers that name no file are returned apart. */
function readImports(root: string): { files: string[]; imports: Import[]; unresolved: string[] } {
  const files = projectFiles(root);
  const imports: Import[] = [];
  const unresolved: string[] = [];
  for (const from of files) {
    for (const { specifier, line } of moduleSpecifiers(from, readFileSync(join(root, from), 'utf8'))) {
      if (!specifier.startsWith('.')) continue; // a package or a node: built-in
      const to = resolveSpecifier(root, from, specifier);
      if (to === undefined) unresolved.push(`${from}:${line} '${specifier}'`);
      else imports.push({ from, to, line, specifier });
    }
  }
  return { files, imports, unresolved };
}

/** The layer a file belongs to: unit tests to tests, else the layer with the longest matching path. */
function layerOf(file: string, layers: readonly Layer[] = LAYERS): Layer | undefined {
  if (file.endsWith('.test.ts')) return layers.find((layer) => layer.name === TESTS_LAYER);
  let best: { layer: Layer; length: number } | undefined;
  for (const layer of layers) {
    for (const path of layer.paths) {
      const matches = path.endsWith('/') ? file.startsWith(path) : file === path;
      if (matches && (best === undefined || path.length > best.length)) best = { layer, length: path.length };
    }
  }
  return best?.layer;
}

/** Groups of files that import each other in a loop (Tarjan's strongly connected components), each with its imports. */
function circles(files: readonly string[], imports: readonly Import[]): Import[][] {
  const edges = new Map<string, Import[]>(files.map((file) => [file, []]));
  for (const edge of imports) edges.get(edge.from)?.push(edge);
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: Import[][] = [];
  let counter = 0;
  const visit = (file: string): void => {
    index.set(file, counter);
    low.set(file, counter);
    counter++;
    stack.push(file);
    onStack.add(file);
    for (const { to } of edges.get(file) ?? []) {
      if (!index.has(to)) {
        visit(to);
        low.set(file, Math.min(low.get(file) as number, low.get(to) as number));
      } else if (onStack.has(to)) {
        low.set(file, Math.min(low.get(file) as number, index.get(to) as number));
      }
    }
    if (low.get(file) === index.get(file)) {
      const members = new Set<string>();
      let member: string;
      do {
        member = stack.pop() as string;
        onStack.delete(member);
        members.add(member);
      } while (member !== file);
      const inside = imports.filter((edge) => members.has(edge.from) && members.has(edge.to));
      if (members.size > 1 || inside.length > 0) found.push(inside);
    }
  };
  for (const file of files) if (!index.has(file)) visit(file);
  return found;
}

const describeImport = (edge: Import): string => `${edge.from}:${edge.line} imports ${edge.to}`;

describe('imports follow the layers of tests/architecture/layers.json', () => {
  const { files, imports, unresolved } = readImports(ROOT);

  test('the walker reads every form of import, type-only ones included', () => {
    const text = [
      "import a from './a';",
      "import type { B } from './b';",
      "import { type C } from './c';",
      "export { d } from './d';",
      "export type * from './e';",
      "import f = require('./f');",
      "const g = require('./g');",
      "const h = import('./h');",
      "type I = typeof import('./i');",
      'const notAnImport = `import j from "./j"`;',
      "const k = require(join(__dirname, 'k'));",
    ].join('\n');
    expect(moduleSpecifiers('sample.ts', text).map((found) => found.specifier)).toEqual(['./a', './b', './c', './d', './e', './f', './g', './h', './i']);
  });

  test('the tree it reads is the project', () => {
    expect(files.length).toBeGreaterThan(100);
    expect(imports.length).toBeGreaterThan(files.length);
    // Every relative path an import names exists (tsc would not compile otherwise): nothing is skipped unread.
    expect(unresolved).toEqual([]);
  });

  test('the table names every layer once and allows no circle between layers', () => {
    const names = LAYERS.map((layer) => layer.name);
    expect(new Set(names).size).toBe(names.length);
    expect(LAYERS.flatMap((layer) => layer.mayImport.filter((name) => name !== '*' && !names.includes(name)).map((name) => `${layer.name} -> ${name}`))).toEqual([]);
    const asFiles = names.map((name) => `${name}#`);
    const allowed = LAYERS.flatMap((layer) => layer.mayImport.filter((name) => name !== '*').map((name) => ({ from: `${layer.name}#`, to: `${name}#`, line: 0, specifier: name })));
    expect(circles(asFiles, allowed).map((loop) => loop.map((edge) => `${edge.from} -> ${edge.to}`))).toEqual([]);
  });

  test('every file is in a layer', () => {
    expect(files.filter((file) => layerOf(file) === undefined)).toEqual([]);
  });

  test('no files import each other in a circle', () => {
    expect(circles(files, imports).map((loop) => loop.map(describeImport))).toEqual([]);
  });

  test('every import runs in a direction the table allows (none runs back up)', () => {
    const against = imports.flatMap((edge) => {
      const from = layerOf(edge.from);
      const to = layerOf(edge.to);
      if (from === undefined || to === undefined || from === to || from.mayImport.includes('*') || from.mayImport.includes(to.name)) return [];
      return [`${describeImport(edge)}: ${from.name} may not import ${to.name}`];
    });
    expect(against).toEqual([]);
  });

  test('production code imports nothing of tests/ or bench/ and names no path there', () => {
    const isTestOrBench = (file: string): boolean => file.startsWith('tests/') || file.startsWith('bench/') || file.endsWith('.test.ts');
    expect(imports.filter((edge) => !isTestOrBench(edge.from) && isTestOrBench(edge.to)).map(describeImport)).toEqual([]);
    const production = files.filter((file) => !isTestOrBench(file));
    expect(production.flatMap((file) => testPathLiterals(file, readFileSync(join(ROOT, file), 'utf8')).map((line) => `${file}:${line}`))).toEqual([]);
  });
});
