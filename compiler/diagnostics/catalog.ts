// The one catalog of diagnostics. Code refers to entries by key (`D.unknownRole`), never by literal text.
// Codes never change meaning; a retired code stays here marked `deprecated`. docs/diagnostics.md is
// generated from this table (`npm run build` writes it; a test checks it is current).
//
// Ranges: VPAE1xxx syntax, VPAE2xxx names and values, VPAE21xx method semantics, VPAE22xx sweeps,
// VPAE3xxx plan files, VPAE5xxx command line.

export interface CatalogEntry {
  code: string;
  /** Message template; {0}, {1}... are filled by the caller. */
  template: string;
  /** Why it is an error and how to fix it (docs/diagnostics.md). */
  explanation: string;
  severity?: "error" | "warning";
  deprecated?: boolean;
}

function e(code: string, template: string, explanation: string, severity: "error" | "warning" = "error"): CatalogEntry {
  return { code, template, explanation, severity };
}

export const D = {
  // ---- 1xxx syntax ----
  unexpectedCharacter: e("VPAE1001", "unexpected character {0}", "The lexer found a character that starts no token of the language. Names are letters, digits and `_`; strings use double quotes; comments are `//` or `/* */`."),
  unexpectedToken: e("VPAE1002", "expected {0} but found {1}", "The parser expected another token here. The message lists what may come next."),
  unterminatedString: e("VPAE1003", "unterminated string", "A string starts with `\"` and must end with `\"` on the same line. Use `\\\"` for a quote inside a string."),
  unterminatedComment: e("VPAE1004", "unterminated block comment", "A `/*` comment must be closed with `*/`."),
  missingCloseBrace: e("VPAE1005", "'{0}' is not closed", "A `{` block (or `(`/`[`) was still open at the end of the file. Add the closing brace; the note shows where the block starts."),
  emptyListElement: e("VPAE1006", "empty element in a list or argument list", "Two commas follow each other, or a comma starts the list. Remove the extra comma."),
  invalidNumber: e("VPAE1007", "invalid number {0}", "Numbers are written like `3`, `0.5`, `.5`, `2e-6` or `1_000`; underscores only between digits."),
  invalidEscape: e("VPAE1008", "invalid escape sequence {0} in a string", "Strings accept `\\\\`, `\\\"`, `\\n` and `\\t`."),
  unexpectedInput: e("VPAE1009", "unexpected {0}", "Something follows where the construct was already complete (for example a second value after `=`)."),
  nestingTooDeep: e("VPAE1010", "nested more than {0} levels deep here", "Brackets, blocks and chains of prefix operators (`-`, `not`) or `**` nest at most this deep: the parser descends one level per bracket or operator, and input nested deeper is refused before the parser runs, so the rest of the file is not checked. No experiment needs such depth; name intermediate values with `param` instead."),
  notText: e("VPAE1012", "not a UTF-8 text file ({0})", "A .vpae file is UTF-8 text. This one holds a NUL byte or bytes that are not UTF-8 (a binary file, or text saved in another encoding such as Latin-1): it is reported once, and nothing else in it is checked. Save it as UTF-8."),
  invisibleCharacter: e("VPAE1013", "{0}", "A character that looks like a space or like nothing at all, where the language expects none. The message names it by code point; replace it with a plain space or delete it."),
  bidiControl: e("VPAE1014", "a bidirectional control character ({0}) in a {1}", "Unicode bidirectional controls (U+202A-U+202E, U+2066-U+2069, U+200E, U+200F) change the order in which text is displayed, so an editor can show a comment or string that reads differently from what vpae reads. vpae accepts them inside strings and comments, but warns: delete it unless you mean it.", "warning"),
  expressionTooLong: e("VPAE1011", "expression of more than {0} operations", "One expression may chain at most this many operators (`a + b + c ...`): the compiler evaluates and prints expressions recursively. Split a long sum into parameters."),

  // ---- 2xxx names, values and structure ----
  importNotFound: e("VPAE2001", "cannot read imported file {0}", "An `import` path is resolved relative to the importing file. Check the path and that the file exists."),
  importCycle: e("VPAE2002", "import cycle: {0}", "Files import each other in a circle. Move the shared declarations into a third file that both import."),
  duplicateDeclaration: e("VPAE2003", "{0} {1} is declared twice", "Every experiment, template, sweep and parameter name must be unique in its scope (imports included)."),
  unknownExperiment: e("VPAE2004", "unknown experiment or template {0}", "`extends` and `sweep ... over` must name an experiment or template declared in this file or an imported one."),
  extendsCycle: e("VPAE2005", "{0} extends itself through {1}", "An `extends` chain loops back on itself. Templates form a tree; break the loop."),
  unknownName: e("VPAE2006", "unknown name {0}", "An expression names a parameter or setting that does not exist. Parameters are declared with `param`; settings are referred to by their path, e.g. `teacher.arch.width`."),
  referenceCycle: e("VPAE2007", "{0} depends on itself: {1}", "Values that refer to each other in a circle have no value. The message lists the circle; replace one of its references by a number or by a parameter that does not depend on the others."),
  typeMismatch: e("VPAE2008", "{0}", "An operator or function was given a value of the wrong type: arithmetic and comparisons need numbers, `and`/`or`/`not` need true or false, `+` also joins two strings or two lists. A number written in quotes (`\"1000\"`) is a string."),
  nonFinite: e("VPAE2009", "{0} is not a finite number", "The expression divides by zero or overflows. Every number in a plan must be finite."),
  unknownFunction: e("VPAE2010", "unknown function {0}", "Only the functions listed in docs/language.md (\"Functions\") can be called."),
  badArguments: e("VPAE2011", "{0}", "A function was called with a missing, unknown, repeated or surplus argument. docs/language.md lists every function's parameters."),
  paramType: e("VPAE2012", "parameter {0} is declared {1} but its value is {2}", "A typed parameter (`param steps: int = ...`) only takes values of its type, also from `--set` and `--params`."),
  removeMissing: e("VPAE2013", "cannot remove {0}: it does not exist", "`remove` must name a block or attribute that the experiment (after `extends`) has. A sweep variant that removes nothing is a mistake, so it is an error."),
  duplicateEntry: e("VPAE2014", "{0} is set twice in the same block", "Each attribute or labelled block appears once per block. To change an inherited value, set it once in the extending experiment."),
  unknownBlock: e("VPAE2015", "unknown block {0} in {1}", "This block type is not part of the language here. docs/language.md lists which blocks each block may contain."),
  unknownAttribute: e("VPAE2016", "unknown setting {0} in {1}", "This attribute is not known in this block; a misspelt key is never ignored silently."),
  missingAttribute: e("VPAE2017", "{1} needs {0}", "This setting has no default and must be given."),
  wrongValueKind: e("VPAE2018", "{0} must be {1}, not {2}", "The value has the wrong kind for this setting."),
  unknownChoice: e("VPAE2019", "{0} is not one of {1}", "This setting takes one of a fixed set of names."),
  badLabel: e("VPAE2020", "{0}", "Some blocks need a name (`phase warmup { ... }`), others must not have one (`world { ... }`)."),
  misplacedEntry: e("VPAE2021", "{0}", "`axis` belongs in sweeps, `remove` in experiments that extend another or in sweep variants, and `param` in files and experiments."),
  unknownOverride: e("VPAE2022", "cannot set {0}: {1}", "A `--set` or `--params` override must name a parameter or an existing setting path."),
  outOfRange: e("VPAE2023", "{0}", "The value is outside the range this setting allows."),
  inexactInteger: e("VPAE2027", "the whole number {0} is beyond 2^53 and cannot be held exactly (it would be read as {1})", "Numbers are 64-bit floating point: whole numbers are exact up to 2^53 = 9007199254740992. A longer one would silently lose digits, so it is refused. No setting needs such a number; a seed or a count that large is a typo."),
  unusedParam: e("VPAE2024", "parameter {0} is never used", "A declared parameter that no value refers to is probably a typo in a reference.", "warning"),
  importNotVpae: e("VPAE2025", "import {0} does not name a .vpae file", "An `import` reads another `.vpae` source file and nothing else: its path must end in `.vpae`. vpae does not open the named file, so nothing of its content can appear in a message."),
  importOutsideProject: e("VPAE2026", "import {0} is outside the project folder {1}", "An `import` may only read `.vpae` files inside the project: the nearest folder above the entry file that holds a `package.json` or a `.git`, or else the entry file's own folder. Symbolic links are followed before the check, so a link cannot lead out. To allow another folder, pass `--import-root DIR` (repeatable)."),

  // ---- 21xx method semantics ----
  unknownRole: e("VPAE2101", "unknown role {0}", "Roles are `teacher`, `student`, and the names of `fake_score` and `discriminator` blocks."),
  roleNotActive: e("VPAE2102", "loss {0} trains {1}, which has no optimizer in phase {2}", "A loss term updates the role it trains; that role needs an `optimizer <role> { ... }` block in the same phase."),
  teacherTrainable: e("VPAE2103", "the teacher is trained in phase {0}", "The teacher is frozen in every distillation phase. Only a `flow_matching` phase of an experiment whose teacher has `init = scratch` may train it (teacher pre-training)."),
  discriminatorNeverTrained: e("VPAE2104", "discriminator {0} is used by the generator but never trained", "A generator adversarial term against a discriminator whose head no phase trains gives the generator a random signal. Add a `gan_discriminator` loss for it (with an optimizer for the discriminator) to some phase: usually the same phase, so that the two sides of the game train together."),
  badWeight: e("VPAE2105", "weight of {0} must be finite and >= 0, not {1}", "Loss weights scale gradients; a negative weight reverses the objective. Use the opposite loss instead."),
  badRatio: e("VPAE2106", "update count of {0} must be a positive integer, not {1}", "`updates { fake = 5  student = 1 }` runs 5 fake-score updates per generator update; counts are whole numbers >= 1."),
  badTimestep: e("VPAE2107", "{0} must lie inside (0, 1], but {1}", "Times follow the rectified-flow convention x_t = (1 - t) x0 + t eps: t = 1 is pure noise and t = 0 is data, which no denoiser is asked about."),
  studentSteps: e("VPAE2108", "the student samples with {0} steps, more than the teacher's {1}", "A distilled student is meant to use fewer steps than its teacher."),
  badDecay: e("VPAE2109", "EMA decay {0} must lie in (0, 1)", "An EMA with decay 0 copies the weights; decay 1 never moves."),
  badTap: e("VPAE2110", "tap {0} is outside the backbone's blocks 0..{1}", "Taps index the transformer blocks of the discriminator backbone, counting from 0."),
  unknownLossKind: e("VPAE2111", "unknown loss kind {0}", "docs/language.md (\"Losses\") lists the loss vocabulary."),
  unusedOptimizer: e("VPAE2112", "optimizer for {0} in phase {1} is unused: no loss trains it", "An optimizer whose role no loss term trains does nothing.", "warning"),
  emptyPhase: e("VPAE2113", "phase {0} has no loss terms", "A phase trains something; give it at least one `loss` block."),
  badRoleKind: e("VPAE2114", "{0}", "The loss needs a role of another kind here (for example `diffusion` trains a fake score)."),
  frozenRoleTrained: e("VPAE2115", "{0} was frozen in phase {1} but is trained in phase {2}", "An `on_enter` action froze this role; unfreeze it first if a later phase must train it."),
  missingRole: e("VPAE2116", "{0}", "The loss needs a role the experiment does not declare."),
  updatesWithoutOptimizer: e("VPAE2117", "update count for {0}, which has no optimizer in phase {1}", "`updates` schedules optimizer steps; a role without an optimizer in this phase cannot take any."),
  noPhases: e("VPAE2118", "experiment {0} has no phases", "An experiment runs its phases in order; declare at least one."),
  badArchitecture: e("VPAE2119", "{0}", "The model sizes do not fit together (e.g. the width must divide by the heads, the patch must divide the frame size)."),
  badWorld: e("VPAE2120", "{0}", "The world's parameters do not describe a valid data set."),
  implausibleMemory: e("VPAE2121", "phase {0} would need about {1} of memory per GPU (vpae's estimate), beyond any machine", "The training-memory estimate (docs/memory.md: weights, optimizer states and activations of every role the phase uses) is over 1 TiB per GPU, so some size is almost certainly a mistake (a batch, a world size or a width off by orders of magnitude). `vpae plan` shows the estimate's parts."),
  runtimeGap: e("VPAE2123", "this runtime cannot run experiment {0}: {1}", "The plan is valid, and `vpae compile` and `vpae plan` work with it, but the runtime that ships with vpae does not build what it asks for (compiler/plan/support.ts lists what it cannot). `vpae run` and `vpae sweep` refuse it with the same reason. The paper-scale setting is such a plan: it is for estimates only.", "warning"),
  largeMemory: e("VPAE2122", "phase {0} would need about {1} of memory per GPU (vpae's estimate){2}", "The training-memory estimate (docs/memory.md) is more than the declared hardware's GPU memory, or more than 64 GiB where no hardware is declared. The run may fail for lack of memory; `vpae plan` shows the estimate's parts.", "warning"),
  blurringScoreDistillation: e(
    "VPAE2124",
    "loss {0} ({1}) re-noises {2} of its clips above t' = 0.75, where the teacher's estimate is a blurred mean",
    "Score distillation (`c_sds`, `sds`) pulls the student's output toward the frozen teacher's denoised estimate of a re-noised copy of it. Re-noised far, the teacher can no longer tell which future the clip had, and its estimate is the blurred mean of the possible futures: in the toy world above t' of about 0.75 that term preferred a blurred one-step student to a sharp one (the old default `uniform(0.02, 0.98)`; docs/language.md section 14). The default is `uniform(0.02, 0.5)`. Keep a wider range only to study it.",
    "warning",
  ),

  // ---- 22xx sweeps ----
  unknownAxis: e("VPAE2201", "unknown axis {0}", "`members` and `where` refer to the axes declared in this sweep."),
  zipLengths: e("VPAE2202", "zip needs axes of equal length, got {0}", "`zip(a, b)` pairs the i-th value of a with the i-th of b; the axes must have as many values each."),
  axisNotParam: e("VPAE2203", "axis {0} is not a parameter of {1}", "A value axis sets a parameter of the experiment it sweeps over. Declare it with `param` in that experiment, or use an alternatives axis to set a path."),
  emptySweep: e("VPAE2204", "sweep {0} has no members", "The members expression (after `where`) selects nothing."),
  badMembers: e("VPAE2205", "{0}", "`members` combines axes with product(...), zip(...), concat(...) and an optional `where` filter."),
  filterNotBool: e("VPAE2206", "the where filter gives {0}, not true or false", "A `where` filter is a condition such as `lr * steps < 1`."),
  axisTwice: e("VPAE2207", "member sets axis {0} twice", "An axis may appear once in a product or zip."),
  tooManyMembers: e("VPAE2208", "sweep {0} would have {1} members, more than the {2} vpae compiles", "Every member is a whole plan, compiled and checked; a sweep this large would take minutes to expand and is almost always a mistake (an axis of a thousand values, a product that should have been a zip). Split the sweep, or thin its axes."),
  unusedAxis: e("VPAE2209", "axis {0} is declared but `members` does not use it", "With a `members = ...` expression, only the axes it names make members; this one makes none. Use it in the expression or remove it.", "warning"),
  repeatedValue: e("VPAE2210", "{0} lists {1} more than once: those members are the same plan", "A value repeated in an axis (or a seed repeated in `seeds`) makes members that train the same plan twice (the second is a cache hit, but its name collides). Remove the repeat.", "warning"),

  // ---- 3xxx plan files and overrides files ----
  planSchema: e("VPAE3001", "plan value at {0} {1}", "The compiled plan breaks its schema (docs/plan.schema.json). The location is where the value was set."),
  planUnreadable: e("VPAE3002", "cannot read plan {0}: {1}", "A plan file must be the JSON written by `vpae compile`."),
  planVersion: e("VPAE3003", "plan format {0} is not supported (this vpae reads format {1})", "The plan was written by a vpae with another plan format. Plans are not converted between formats: recompile the .vpae source with this version of vpae."),
  planHash: e("VPAE3004", "plan content does not match its hash (edited by hand?)", "Plans are content-addressed: edit the .vpae source and recompile instead of editing the JSON."),
  paramsFile: e("VPAE3005", "{0}", "A `--params` file is a YAML mapping from parameter names (or setting paths) to values."),

  // ---- 5xxx command line ----
  fileNotFound: e("VPAE5001", "cannot read {0}", "A file named on the command line (a .vpae source, a plan or a `--params` file) could not be read: it does not exist, it is a directory, or it is not readable. Relative paths start at the current directory; the hint says which problem it is."),
  badSetSyntax: e("VPAE5002", "--set expects path=value, got {0}", "For example `--set lr=2e-6` or `--set phase.priming.steps=100`."),
  // Retired: `vpae compile` of a file with several experiments asks for `--experiment` with a usage error (exit 2).
  ambiguousExperiment: { ...e("VPAE5003", "{0}", "The file declares several experiments; name one with `--experiment NAME`."), deprecated: true },
} as const satisfies Record<string, CatalogEntry>;

export type DiagnosticKey = keyof typeof D;

/** Longest quoted name a message shows whole; a longer one (a 2 MB name) is cut, saying how long it was. */
export const MAX_QUOTED_LENGTH = 60;
/** Longest message argument; no message needs more. */
const MAX_ARGUMENT_LENGTH = 1000;

/** An argument with its long quoted parts cut: 'aaaa...' (2000000 characters). */
export function clipArgument(text: string): string {
  const long = new RegExp(`'([^']{${MAX_QUOTED_LENGTH + 1},})'|"([^"]{${MAX_QUOTED_LENGTH + 1},})"`, "g");
  const clipped = text.replace(long, (m: string, a?: string, b?: string) => {
    const inner = a ?? b ?? "";
    return `${m[0]}${inner.slice(0, MAX_QUOTED_LENGTH - 10)}...${m[0]} (${inner.length} characters)`;
  });
  return clipped.length > MAX_ARGUMENT_LENGTH ? `${clipped.slice(0, MAX_ARGUMENT_LENGTH)}...` : clipped;
}

export function formatTemplate(template: string, args: readonly string[]): string {
  return template.replace(/\{(\d+)\}/g, (_, i: string) => clipArgument(args[Number(i)] ?? ""));
}
