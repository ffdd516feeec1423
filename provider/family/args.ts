/**
 * The arguments of a `ManagedAmiFamily` and their validation. Arguments are plain values: members
 * are chosen while the program runs, so the selection must be known then. Every problem is reported
 * at once, naming the property and the fix, before any AWS call.
 */

/** What a family selects and keeps; see `ManagedAmiFamily`. */
export interface ManagedAmiFamilyArgs {
  /** Own images whose name starts with this (e.g. `web-`). Either `namePrefix` or `tags` (or both) is required. */
  readonly namePrefix?: string;
  /** Own images carrying every one of these tags; also applied to each member (its AMI and owned snapshots). */
  readonly tags?: Record<string, string>;
  /** How many of the newest images stay enabled; at least 1. */
  readonly keep: number;
  /** How many of the next older images stay as disabled rollback spares; default 0. */
  readonly keepDisabled?: number;
  /** Never retire an image younger than this many days (it stays as a disabled spare); default 0. */
  readonly minAgeDays?: number;
  /** Image ids always kept enabled, whatever their age or rank; each must be an image of the family. */
  readonly pin?: readonly string[];
  /** Passed to every member: what its delete does when something still launches from it; default `"fail"`. */
  readonly whenInUse?: "fail" | "warn";
  /** Passed to every member: delete its EBS snapshots when it is retired; default true. */
  readonly deleteSnapshots?: boolean;
  /** Region of the family's images; default the AWS SDK's resolution (`AWS_REGION`, profile). */
  readonly region?: string;
}

/** The arguments with defaults applied. */
export interface FamilySettings {
  namePrefix?: string;
  tags?: Record<string, string>;
  keep: number;
  keepDisabled: number;
  minAgeDays: number;
  pin: string[];
  whenInUse?: "fail" | "warn";
  deleteSnapshots?: boolean;
  region?: string;
}

/** AMI ids: `ami-` and 8 or 17 hex digits. */
const IMAGE_ID = /^ami-([0-9a-f]{8}|[0-9a-f]{17})$/;
/** Characters AWS allows in AMI names (no wildcards, so a prefix filter matches literally). */
const NAME_CHARS = /^[A-Za-z0-9 ()[\]./\-'@_]+$/;

/** Thrown for bad arguments; `problems` has one line per property. */
export class FamilyArgsError extends Error {
  constructor(
    readonly family: string,
    readonly problems: string[],
  ) {
    super(
      `ManagedAmiFamily "${family}": invalid arguments (nothing was called):\n${problems.map((p) => `  - ${p}`).join("\n")}`,
    );
    this.name = "FamilyArgsError";
  }
}

function isInt(v: unknown): v is number {
  return typeof v === "number" && Number.isInteger(v);
}

/** A value as a message shows it: JSON, except what JSON hides (NaN, Infinity, undefined). */
function shown(value: unknown): string {
  if (typeof value === "number" && !Number.isFinite(value)) return String(value);
  return value === undefined ? "undefined" : JSON.stringify(value);
}

/** Validates `args` and applies defaults; throws `FamilyArgsError` listing every problem. */
export function validateFamilyArgs(family: string, args: ManagedAmiFamilyArgs | undefined): FamilySettings {
  const a = (args ?? {}) as Partial<ManagedAmiFamilyArgs> & Record<string, unknown>;
  const problems: string[] = [];
  const known = [
    "namePrefix",
    "tags",
    "keep",
    "keepDisabled",
    "minAgeDays",
    "pin",
    "whenInUse",
    "deleteSnapshots",
    "region",
  ];
  for (const key of Object.keys(a)) {
    if (!known.includes(key) && a[key] !== undefined)
      problems.push(
        `${key}: not an argument of ManagedAmiFamily; remove it (arguments: ${known.join(", ")}).`,
      );
  }
  for (const key of known) {
    const v = a[key];
    if (
      v !== null &&
      typeof v === "object" &&
      !Array.isArray(v) &&
      typeof (v as { apply?: unknown }).apply === "function"
    ) {
      problems.push(
        `${key}: must be a plain value, not a pulumi Output (members are chosen while the program runs); pass a literal or a config value.`,
      );
    }
  }
  if (problems.length) throw new FamilyArgsError(family, problems);

  if (a.namePrefix !== undefined) {
    if (typeof a.namePrefix !== "string" || a.namePrefix.length === 0)
      problems.push(`namePrefix: must be a non-empty string such as "web-"; omit it to select by tags only.`);
    else if (a.namePrefix.length > 128 || !NAME_CHARS.test(a.namePrefix))
      problems.push(
        `namePrefix: "${a.namePrefix}" cannot start an AMI name (at most 128 of A-Za-z0-9 ()[]./-'@_, no wildcards); use the literal start of the names, e.g. "web-".`,
      );
  }
  let tags: Record<string, string> | undefined;
  if (a.tags !== undefined) {
    if (a.tags === null || typeof a.tags !== "object" || Array.isArray(a.tags))
      problems.push(`tags: must be a map of tag key to value, e.g. { family: "web" }.`);
    else {
      tags = {};
      for (const [k, v] of Object.entries(a.tags)) {
        if (k.length === 0 || k.length > 128 || k.toLowerCase().startsWith("aws:"))
          problems.push(`tags: key "${k}" is not a usable tag key (1-128 characters, no "aws:" prefix).`);
        if (typeof v !== "string") problems.push(`tags.${k}: must be a string (tags match exact values).`);
        else tags[k] = v;
      }
      if (Object.keys(a.tags).length === 0)
        problems.push(`tags: is empty; give at least one tag, or omit tags and select by namePrefix.`);
    }
  }
  if (a.namePrefix === undefined && a.tags === undefined)
    problems.push(
      `namePrefix/tags: neither is set, so every image of the account would be a member; set namePrefix (e.g. "web-") and/or tags (e.g. { family: "web" }).`,
    );

  if (a.keep === undefined)
    problems.push(
      `keep: is required: how many of the newest images stay enabled (at least 1), e.g. keep: 3.`,
    );
  else if (!isInt(a.keep) || a.keep < 1)
    problems.push(
      `keep: must be an integer of at least 1 (got ${shown(a.keep)}); the newest image must stay enabled.`,
    );
  if (a.keepDisabled !== undefined && (!isInt(a.keepDisabled) || a.keepDisabled < 0))
    problems.push(
      `keepDisabled: must be an integer of 0 or more (got ${shown(a.keepDisabled)}); it is the number of disabled rollback spares.`,
    );
  if (
    a.minAgeDays !== undefined &&
    (typeof a.minAgeDays !== "number" || !Number.isFinite(a.minAgeDays) || a.minAgeDays < 0)
  )
    problems.push(`minAgeDays: must be a number of days, 0 or more (got ${shown(a.minAgeDays)}).`);

  const pin: string[] = [];
  if (a.pin !== undefined) {
    if (!Array.isArray(a.pin))
      problems.push(`pin: must be a list of image ids, e.g. ["ami-0abc1234def567890"].`);
    else
      a.pin.forEach((id: unknown, i: number) => {
        if (typeof id !== "string" || !IMAGE_ID.test(id))
          problems.push(
            `pin[${i}]: ${JSON.stringify(id)} is not an AMI id (ami- and 8 or 17 lowercase hex digits); copy the id from the console or \`aws ec2 describe-images\`.`,
          );
        else if (!pin.includes(id)) pin.push(id);
      });
  }
  if (a.whenInUse !== undefined && a.whenInUse !== "fail" && a.whenInUse !== "warn")
    problems.push(`whenInUse: must be "fail" or "warn" (got ${shown(a.whenInUse)}).`);
  if (a.deleteSnapshots !== undefined && typeof a.deleteSnapshots !== "boolean")
    problems.push(`deleteSnapshots: must be true or false.`);
  if (a.region !== undefined && (typeof a.region !== "string" || !/^[a-z]{2}(-[a-z]+)+-\d+$/.test(a.region)))
    problems.push(
      `region: ${JSON.stringify(a.region)} is not an AWS region name such as "us-east-1"; omit it to use AWS_REGION or your profile's.`,
    );

  if (problems.length) throw new FamilyArgsError(family, problems);
  return {
    ...(a.namePrefix !== undefined ? { namePrefix: a.namePrefix } : {}),
    ...(tags ? { tags } : {}),
    keep: a.keep as number,
    keepDisabled: a.keepDisabled ?? 0,
    minAgeDays: a.minAgeDays ?? 0,
    pin,
    ...(a.whenInUse !== undefined ? { whenInUse: a.whenInUse } : {}),
    ...(a.deleteSnapshots !== undefined ? { deleteSnapshots: a.deleteSnapshots } : {}),
    ...(a.region !== undefined ? { region: a.region } : {}),
  };
}
