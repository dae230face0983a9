// The names of the tensors in a checkpoint, defined in one place: what snapshots write, what resume
// and forks read back, and what `vpae eval` and `vpae export` look up.
//
//   <role>/<parameter>                 a role's own variables: teacher, student, a fake score, a discriminator
//   ema:<role>@<decay>/<parameter>     an EMA of a role (a phase's `ema` entry; sampled at evaluation)
//   backbone:<disc>/<parameter>        the EMA backbone of a self-discriminator
//   target:<role>@<decay>/<parameter>  the target network of consistency distillation
//   opt/<role>/m/<parameter>, opt/<role>/v/<parameter>   an optimizer's moments (its step is a counter)

/** The tensor of a role's parameter (or of a shadow's, with a shadow key as the role). */
export function roleTensor(role: string, parameter: string): string {
  return `${role}/${parameter}`;
}

export function emaKey(role: string, decay: number): string {
  return `ema:${role}@${decay}`;
}

export function backboneKey(disc: string): string {
  return `backbone:${disc}`;
}

export function targetKey(role: string, decay: number): string {
  return `target:${role}@${decay}`;
}

const SHADOW = /^((?:ema|backbone|target):[^/]+)\/(.+)$/;

/** The shadow (EMA copy) and parameter a tensor name belongs to, or undefined for other tensors. */
export function shadowTensor(name: string): { key: string; parameter: string } | undefined {
  const m = SHADOW.exec(name);
  return m ? { key: m[1]!, parameter: m[2]! } : undefined;
}

/** Whether a shadow key is an EMA of `role` (any decay). */
export function isEmaOf(key: string, role: string): boolean {
  return key.startsWith(`ema:${role}@`);
}

export function optimizerTensor(role: string, moment: "m" | "v", parameter: string): string {
  return `opt/${role}/${moment}/${parameter}`;
}

/** The checkpoint counter holding an optimizer's step. */
export function optimizerStepCounter(role: string): string {
  return `opt/${role}/step`;
}

const OPTIMIZER = /^opt\/([^/]+)\/(m|v)\/(.+)$/;

export function parseOptimizerTensor(name: string): { role: string; moment: "m" | "v"; parameter: string } | undefined {
  const m = OPTIMIZER.exec(name);
  return m ? { role: m[1]!, moment: m[2] as "m" | "v", parameter: m[3]! } : undefined;
}

/** The role a tensor belongs to: its owner, or the optimizer's role (shadow keys are their own). */
export function tensorRole(name: string): string {
  const opt = parseOptimizerTensor(name);
  return opt ? opt.role : name.split("/")[0]!;
}
