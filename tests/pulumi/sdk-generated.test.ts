import { join } from 'node:path';
import * as ts from 'typescript';
import { loadPackageSchema, replaceOnChangesOf, secretOutputsOf, type PackageSchema } from '../../core/schema/package-schema';
import { repoRoot } from '../../core/base/repo-root';
import { generateSdk, sdkDrift } from '../../codegen/sdk/generate';
import { GENERATED_BANNER, fileNameOf, tokenName } from '../../codegen/sdk/type-names';

/** The SDK in sdk/nodejs is what the generator writes from schema.json, and programs type-check against it. */
describe('the generated nodejs SDK', () => {
  test('sdk/nodejs is exactly what the generator writes from schema.json now (run make generate)', () => {
    expect(sdkDrift()).toEqual({ stale: [], orphaned: [] });
  });

  test('every generated file carries the do-not-edit banner', () => {
    for (const [path, text] of generateSdk()) expect({ path, banner: text.startsWith(GENERATED_BANNER) }).toEqual({ path, banner: true });
  });

  test('a change to schema.json changes the generated SDK', () => {
    const schema = JSON.parse(JSON.stringify(loadPackageSchema())) as PackageSchema;
    const vm = schema.resources['vers:index:Vm']!;
    vm.inputProperties.labels = { ...vm.inputProperties.labels, replaceOnChanges: true };
    const changed = generateSdk(schema);
    const current = generateSdk();
    expect(changed.get('vm.ts')).not.toBe(current.get('vm.ts'));
    expect(changed.get('vm.ts')).toContain("replaceOnChanges: ['vcpuCount', 'memSizeMib', 'imageName', 'labels', 'fromCommit']");
  });

  test('each resource class and dynamic class declares the schema’s secret outputs and replace-on-change inputs', () => {
    const schema = loadPackageSchema();
    const files = generateSdk();
    for (const [token, spec] of Object.entries(schema.resources)) {
      const file = fileNameOf(tokenName(token));
      for (const text of [files.get(`${file}.ts`), files.get(`dynamic/${file}.ts`)]) {
        const secrets = secretOutputsOf(spec);
        if (secrets.length > 0) expect(text).toContain(`additionalSecretOutputs: [${secrets.map((key) => `'${key}'`).join(', ')}]`);
        else expect(text).not.toContain('additionalSecretOutputs');
        expect(text).toContain(`replaceOnChanges: [${replaceOnChangesOf(spec).map((key) => `'${key}'`).join(', ')}]`);
        for (const key of spec.requiredInputs ?? []) expect(text).toContain(`Missing required property '${key}'`);
      }
    }
    expect(files.get('provider.ts')).toContain("additionalSecretOutputs: ['apiKey']");
    expect(files.get('provider.ts')).toContain("resourceInputs['apiKey'] = args?.apiKey ? pulumi.secret(args.apiKey) : undefined;");
  });

  test('the examples type-check against the SDK, and a wrong argument is a type error', () => {
    const options: ts.CompilerOptions = {
      strict: true,
      noEmit: true,
      target: ts.ScriptTarget.ES2022,
      // The package's own setting (CommonJS output, got loaded as ESM).
      module: ts.ModuleKind.Node16,
      moduleResolution: ts.ModuleResolutionKind.Node16,
      esModuleInterop: true,
      skipLibCheck: true,
      types: ['node'],
      typeRoots: [join(repoRoot(), 'node_modules', '@types')],
      baseUrl: repoRoot(),
      paths: { '@hdr/vers': ['sdk/nodejs/index.ts'] },
    };
    const examples = ['pulumi-golden-image', 'pulumi-from-terraform'].map((name) => join(repoRoot(), 'examples', name, 'index.ts'));
    const program = ts.createProgram(examples, options);
    const errors = ts.getPreEmitDiagnostics(program).map((diagnostic) => ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
    expect(errors).toEqual([]);

    const host = ts.createCompilerHost(options);
    const wrongFile = join(repoRoot(), 'examples', 'pulumi-golden-image', 'wrong.ts');
    const readFile = host.readFile.bind(host);
    host.readFile = (name) => (name === wrongFile ? "import * as vers from '@hdr/vers';\nnew vers.Vm('x', { vcpuCount: 'two' });\nnew vers.VmRestore('y', {});\n" : readFile(name));
    host.fileExists = ((exists) => (name: string) => name === wrongFile || exists(name))(host.fileExists.bind(host));
    const wrong = ts.createProgram([wrongFile], options, host);
    const wrongErrors = ts.getPreEmitDiagnostics(wrong).map((diagnostic) => ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
    expect(wrongErrors).toEqual([expect.stringContaining("Type 'string' is not assignable"), expect.stringContaining("Property 'commitId' is missing")]);
  });
});
