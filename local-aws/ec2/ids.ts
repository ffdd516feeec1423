import { randomBytes } from "node:crypto";
import { Ec2Error } from "../protocol/errors";

/** A new 17-hex-digit id with the given prefix, e.g. `ami-0123456789abcdef0`. */
export function newId(prefix: "ami" | "snap" | "i" | "vol" | "r" | "lt"): string {
  return `${prefix}-${randomBytes(9).toString("hex").slice(0, 17)}`;
}

const PATTERN = (prefix: string): RegExp => new RegExp(`^${prefix}-(?:[0-9a-f]{8}|[0-9a-f]{17})$`);

/** AWS's malformed-id code for each resource type. */
const MALFORMED: Record<string, { code: string; noun: string }> = {
  ami: { code: "InvalidAMIID.Malformed", noun: "image" },
  snap: { code: "InvalidSnapshotID.Malformed", noun: "snapshot" },
  i: { code: "InvalidInstanceID.Malformed", noun: "instance" },
  vol: { code: "InvalidVolumeID.Malformed", noun: "volume" },
  lt: { code: "InvalidLaunchTemplateId.Malformed", noun: "launch template" },
};

export function isWellFormed(prefix: string, id: string): boolean {
  return PATTERN(prefix).test(id);
}

/** Throws AWS's `…Malformed` error unless `id` is `prefix-` + 8 or 17 lowercase hex digits. */
export function checkId(prefix: "ami" | "snap" | "i" | "vol" | "lt", id: string): string {
  if (!isWellFormed(prefix, id)) {
    const m = MALFORMED[prefix];
    throw new Ec2Error(m.code, `Invalid id: "${id}" (expecting "${prefix}-...")`);
  }
  return id;
}
