/** Bumped on any change to the plan format that a consumer (the runtime, a script) must know about. */
export const PLAN_FORMAT_VERSION = 1;
