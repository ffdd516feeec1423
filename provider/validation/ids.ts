/**
 * EC2 resource ids: a kind prefix (`ami-`, `snap-`, `i-`) and 8 (older) or 17 hexadecimal digits.
 * AWS issues them in lowercase only, so an uppercase id is rejected with the lowercase form as the fix.
 */
import { show, typeName } from "./failures";

/** The id kinds ManagedAmi takes as input. */
export type IdKind = "image" | "snapshot" | "instance";

const KINDS: Record<IdKind, { prefix: string; noun: string; example: string; lookup: string }> = {
  image: {
    prefix: "ami",
    noun: "an AMI id",
    example: "ami-0123456789abcdef0",
    lookup: "aws ec2 describe-images",
  },
  snapshot: {
    prefix: "snap",
    noun: "a snapshot id",
    example: "snap-0123456789abcdef0",
    lookup: "aws ec2 describe-snapshots",
  },
  instance: {
    prefix: "i",
    noun: "an instance id",
    example: "i-0123456789abcdef0",
    lookup: "aws ec2 describe-instances",
  },
};

/** True when `v` is a well-formed id of `kind`. */
export function isId(kind: IdKind, v: unknown): v is string {
  return typeof v === "string" && new RegExp(`^${KINDS[kind].prefix}-([0-9a-f]{8}|[0-9a-f]{17})$`).test(v);
}

/** Why `v` is not a well-formed id of `kind` (problem, then fix), or `undefined` when it is. */
export function idProblem(kind: IdKind, v: unknown): string | undefined {
  if (isId(kind, v)) return undefined;
  const k = KINDS[kind];
  const expected = `expected "${k.prefix}-" followed by 8 or 17 lowercase hexadecimal digits, e.g. ${k.example}`;
  if (typeof v !== "string") {
    return `must be ${k.noun} string, got ${typeName(v)} ${show(v)}; ${expected}.`;
  }
  if (v.trim() !== v && isId(kind, v.trim())) {
    return `${show(v)} has leading or trailing spaces; use ${show(v.trim())}.`;
  }
  if (isId(kind, v.toLowerCase())) {
    return `${show(v)} has uppercase letters, but AWS ids are lowercase; use ${show(v.toLowerCase())}.`;
  }
  for (const other of Object.values(KINDS)) {
    if (other !== k && v.toLowerCase().startsWith(`${other.prefix}-`)) {
      return `${show(v)} is ${other.noun}, not ${k.noun}; ${expected}. Find it with \`${k.lookup}\`.`;
    }
  }
  return `${show(v)} is not ${k.noun}: ${expected}. Copy the id from \`${k.lookup}\` or the EC2 console.`;
}
