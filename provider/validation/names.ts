/**
 * AMI name and description, as RegisterImage/CreateImage/CopyImage accept them: a name of 3-128
 * characters from `A-Za-z0-9 ()[]./-'@_`, a description of at most 255 characters.
 */
import { show, typeName } from "./failures";

const NAME_CHAR = /[A-Za-z0-9 ()[\]./\-'@_]/;
const NAME_FIX = "use 3-128 characters from letters, digits, spaces and ( ) [ ] . / - ' @ _";

/** Length in characters (code points), as AWS counts them. */
export function charLength(s: string): number {
  return [...s].length;
}

/** Why `v` is not a valid AMI name (problem, then fix), or `undefined` when it is. */
export function nameProblem(v: unknown): string | undefined {
  if (typeof v !== "string") return `must be a string, got ${typeName(v)} ${show(v)}; ${NAME_FIX}.`;
  const bad = [...new Set([...v].filter((c) => !NAME_CHAR.test(c)))];
  if (bad.length > 0) {
    const listed = bad
      .map((c) => (c === "\t" ? "tab" : c === "\n" ? "newline" : JSON.stringify(c)))
      .join(", ");
    return `${show(v)} contains characters AMI names do not allow (${listed}); ${NAME_FIX}.`;
  }
  const n = charLength(v);
  if (n < 3)
    return `${show(v)} is ${n} character${n === 1 ? "" : "s"} long, AMI names need at least 3; ${NAME_FIX}.`;
  if (n > 128)
    return `${show(v)} is ${n} characters long, AMI names allow at most 128; shorten it (${NAME_FIX}).`;
  return undefined;
}

/** Why `v` is not a valid AMI description, or `undefined` when it is. */
export function descriptionProblem(v: unknown): string | undefined {
  if (typeof v !== "string")
    return `must be a string, got ${typeName(v)} ${show(v)}; pass text or leave it out.`;
  const n = charLength(v);
  if (n > 255) return `is ${n} characters long; AMI descriptions allow at most 255, shorten it.`;
  return undefined;
}
