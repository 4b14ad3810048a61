import ts from 'typescript';

/** Where the emitted declarations live: a folder that exists only in memory. */
const VIRTUAL_ROOT = '/__declarations__';

/**
 * Per entry, the type errors a consumer without @types/node would see in the
 * declarations it emits (and those they import): the sources are compiled as the
 * packages build them (one program for all), then each entry's .d.ts files are
 * checked alone, with only the ES library. Entries are absolute paths.
 */
export function declarationErrorsWithoutNode(entries: string[]): Map<string, string[]> {
  const base: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    lib: ['lib.es2023.d.ts'],
    strict: true,
  };
  const emitted = new Map<string, string>();
  const buildOptions: ts.CompilerOptions = {
    ...base,
    declaration: true,
    emitDeclarationOnly: true,
    rootDir: '/',
    outDir: VIRTUAL_ROOT,
    types: ['node'],
    skipLibCheck: true,
  };
  const buildHost = ts.createCompilerHost(buildOptions);
  buildHost.writeFile = (name, text) => emitted.set(name, text);
  const build = ts.createProgram(entries, buildOptions, buildHost);
  // The sources' own type errors are the package typecheck's to report; here only emitting must work.
  const emit = build.emit();
  if (emit.emitSkipped) throw new Error(`declarations were not emitted:\n${emit.diagnostics.map(format).join('\n')}`);

  const checkOptions: ts.CompilerOptions = { ...base, noEmit: true, types: [], skipLibCheck: false };
  const checkHost = ts.createCompilerHost(checkOptions);
  const fromDisk = {
    fileExists: checkHost.fileExists,
    readFile: checkHost.readFile,
    getSourceFile: checkHost.getSourceFile,
  };
  // Inside the virtual folder only the emitted files exist; elsewhere (the ES library) the disk.
  checkHost.fileExists = (name) => (name.startsWith(VIRTUAL_ROOT) ? emitted.has(name) : fromDisk.fileExists(name));
  checkHost.readFile = (name) => (name.startsWith(VIRTUAL_ROOT) ? emitted.get(name) : fromDisk.readFile(name));
  checkHost.getSourceFile = (name, languageVersion, ...rest) => {
    const text = name.startsWith(VIRTUAL_ROOT) ? emitted.get(name) : undefined;
    return text !== undefined
      ? ts.createSourceFile(name, text, languageVersion)
      : fromDisk.getSourceFile(name, languageVersion, ...rest);
  };
  checkHost.directoryExists = (name) =>
    name.startsWith(VIRTUAL_ROOT)
      ? [...emitted.keys()].some((file) => file.startsWith(`${name}/`))
      : ts.sys.directoryExists(name);
  const errors = new Map<string, string[]>();
  for (const entry of entries) {
    const root = `${VIRTUAL_ROOT}${entry.replace(/\.ts$/, '.d.ts')}`;
    if (!emitted.has(root)) throw new Error(`no declarations were emitted for ${entry} (expected ${root})`);
    errors.set(entry, ts.getPreEmitDiagnostics(ts.createProgram([root], checkOptions, checkHost)).map(format));
  }
  return errors;
}

function format(d: ts.Diagnostic): string {
  const message = ts.flattenDiagnosticMessageText(d.messageText, '\n');
  if (!d.file || d.start === undefined) return message;
  const { line } = d.file.getLineAndCharacterOfPosition(d.start);
  return `${d.file.fileName}:${line + 1}: ${message}`;
}
