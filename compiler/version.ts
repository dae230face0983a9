/** The compiler's version, recorded in every plan (not part of its hash). Kept in step with package.json by a test. */
export const COMPILER_VERSION = "0.1.0";
