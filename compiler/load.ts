// Resolving a program: the entry file and its imports are read (confined to the project), parsed
// (syntax diagnostics) and given their scopes. The first phase of compiler/program.ts.
import * as nodePath from "node:path";
import { existsSync, readFileSync, realpathSync, statSync } from "node:fs";
import { parse } from "../grammar/index.js";
import type { ExperimentDecl, SourceFile, Span, SweepDecl } from "./syntax/ast.js";
import { cstToAst, tokenSpan } from "./syntax/to-ast.js";
import { reportSyntax, textOf } from "./syntax/from-chevrotain.js";
import { reportLongExpressions } from "./syntax/limits.js";
import { D, type DiagnosticBag } from "./diagnostics/diagnostic.js";
import type { FileScope } from "./tree.js";

export interface Host {
  readFile(path: string): string | undefined;
}

export const nodeHost: Host = {
  readFile(path) {
    try {
      return readFileSync(path, "utf8");
    } catch {
      return undefined;
    }
  },
};

export interface Declaration {
  decl: ExperimentDecl | SweepDecl;
  scope: FileScope;
}

export interface Program {
  files: Map<string, SourceFile>;
  sources: Map<string, string>;
  scopes: Map<string, Map<string, Declaration>>;
  fileScopes: Map<string, FileScope>;
}

// ---- loading ----

/**
 * Where imports may read from: the project folder of the entry file and any folder the user allows
 * (`--import-root`), as real paths. Null where files do not come from the disk (a test's host).
 */
export interface ImportAccess {
  roots: string[];
}

/** The project folder of an entry file: the nearest folder above it with a package.json or a .git, else its own folder. */
export function projectRoot(entry: string): string {
  const start = nodePath.dirname(realOrResolved(entry));
  for (let dir = start; ; dir = nodePath.dirname(dir)) {
    if (existsSync(nodePath.join(dir, "package.json")) || existsSync(nodePath.join(dir, ".git"))) return dir;
    if (nodePath.dirname(dir) === dir) return start;
  }
}

export function realOrResolved(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return nodePath.resolve(path);
  }
}

/** Whether an import target (that exists) lies inside one of the allowed folders, symbolic links followed. */
function insideRoots(target: string, access: ImportAccess): boolean {
  const real = realOrResolved(target);
  return access.roots.some((root) => real === root || real.startsWith(root.endsWith(nodePath.sep) ? root : root + nodePath.sep));
}

function loadFile(path: string, host: Host, program: Program, bag: DiagnosticBag, stack: string[], access: ImportAccess | null, importSpan?: Span): SourceFile | undefined {
  // The cycle check comes first: a file on the import stack is already in `program.files` (it is
  // registered before its imports load), and returning it would hide the cycle.
  if (stack.includes(path)) {
    bag.report(D.importCycle, [[...stack.slice(stack.indexOf(path)), path].map((p) => nodePath.basename(p)).join(" -> ")], importSpan);
    return undefined;
  }
  const existing = program.files.get(path);
  if (existing) return existing;
  const raw = host.readFile(path);
  if (raw === undefined) {
    const why = host === nodeHost ? unreadableReason(path, importSpan !== undefined) : undefined;
    const extra = why ? { hint: why } : undefined;
    if (importSpan) bag.report(D.importNotFound, [`'${path}'`], importSpan, extra);
    else bag.report(D.fileNotFound, [`'${path}'`], undefined, extra);
    return undefined;
  }
  // A lone `\r` (old Mac line end) is a line break to the lexer but not to the code frames and the
  // lexer-error positions, which split on `\n`; as `\n` (same length, so offsets stay) all three agree.
  const decoded = textOf(path, raw, bag);
  if (decoded === undefined) {
    program.sources.set(path, raw); // the diagnostic's code frame shows it, with unprintable characters masked
    return undefined;
  }
  const text = decoded.includes("\r") ? decoded.replace(/\r(?!\n)/g, "\n") : decoded;
  program.sources.set(path, text);
  const file = parseCached(path, text, bag);
  if (!file) return undefined;
  program.files.set(path, file);
  const scope: FileScope = { file: path, params: new Map() };
  program.fileScopes.set(path, scope);
  const names = new Map<string, Declaration>();
  program.scopes.set(path, names);
  const declare = (name: string, d: Declaration, span: Span, what: string) => {
    if (names.has(name)) {
      bag.report(D.duplicateDeclaration, [what, `'${name}'`], span, { notes: [{ message: "first declared here", span: names.get(name)!.decl.name.span }] });
      return;
    }
    names.set(name, d);
  };
  for (const item of file.items) {
    if (item.kind === "param") {
      if (scope.params.has(item.name.text)) bag.report(D.duplicateDeclaration, ["parameter", `'${item.name.text}'`], item.name.span);
      scope.params.set(item.name.text, item);
    } else if (item.kind === "experiment" || item.kind === "sweep") {
      declare(item.name.text, { decl: item, scope }, item.name.span, item.kind === "sweep" ? "sweep" : item.template ? "template" : "experiment");
    }
  }
  for (const item of file.items) {
    if (item.kind !== "import") continue;
    const target = nodePath.isAbsolute(item.path) ? nodePath.normalize(item.path) : nodePath.normalize(nodePath.join(nodePath.dirname(path), item.path));
    // Checked before anything is read: only .vpae files, and only inside the project.
    if (!target.endsWith(".vpae")) {
      bag.report(D.importNotVpae, [`'${item.path}'`], item.pathSpan);
      continue;
    }
    if (access && existsSync(target) && !insideRoots(target, access)) {
      bag.report(D.importOutsideProject, [`'${item.path}'`, `'${access.roots[0]}'`], item.pathSpan, { hint: access.roots.length > 1 ? `allowed: ${access.roots.join(", ")}; --import-root DIR allows another folder` : "--import-root DIR allows another folder" });
      continue;
    }
    const imported = loadFile(target, host, program, bag, [...stack, path], access, item.pathSpan);
    if (!imported) continue;
    const importedNames = program.scopes.get(target)!;
    for (const [n, d] of importedNames) {
      if (d.scope.file !== target) continue; // imports are not re-exported
      const name = item.alias ? `${item.alias.text}.${n}` : n;
      declare(name, d, item.span, d.decl.kind === "sweep" ? "sweep" : (d.decl as ExperimentDecl).template ? "template" : "experiment");
    }
  }
  return file;
}

/** Why a path on disk could not be read, in words (for the hint of VPAE5001 / VPAE2001). */
export function unreadableReason(path: string, imported: boolean): string | undefined {
  try {
    if (statSync(path).isDirectory()) return "it is a directory; name a .vpae file in it";
    return undefined;
  } catch {
    return imported ? "no such file (an import path is relative to the importing file)" : `no such file (relative paths start at ${process.cwd()})`;
  }
}

/**
 * Parsed files by path, reused while their text is unchanged: `vpae check a.vpae b.vpae` and sweeps
 * parse a shared template file once. Only files that parsed without any diagnostic are kept.
 */
const parseCache = new Map<string, { text: string; file: SourceFile }>();

function parseCached(path: string, text: string, bag: DiagnosticBag): SourceFile | undefined {
  const hit = parseCache.get(path);
  if (hit && hit.text === text) return hit.file;
  const parsed = parse(text);
  const before = bag.items.length;
  const errorsBefore = bag.errorCount;
  reportSyntax(path, text, parsed, bag);
  if (bag.errorCount > errorsBefore) return undefined; // later phases would only repeat the syntax errors
  const file = cstToAst(parsed.cst, path, text, bag);
  if (reportLongExpressions(file, bag)) return undefined;
  file.comments = parsed.comments.map((c) => ({ text: c.image, span: tokenSpan(path, c) }));
  if (bag.items.length === before) parseCache.set(path, { text, file });
  return file;
}

export function loadProgram(entry: string, host: Host, bag: DiagnosticBag, access: ImportAccess | null = null): Program {
  const program: Program = { files: new Map(), sources: new Map(), scopes: new Map(), fileScopes: new Map() };
  loadFile(entry, host, program, bag, [], access);
  return program;
}


/** The experiment or sweep a name refers to in a file (its own or imported declarations). */
export function findDeclaration(program: Program, fromFile: string, name: string): Declaration | undefined {
  return program.scopes.get(fromFile)?.get(name);
}
