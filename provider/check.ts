/**
 * `check`: every bad input fails here, before any AWS call, with the property and the fix.
 * Pure: no client, no network, no environment (only the clock: a new deprecationTime must be ahead).
 * Unknown values (preview) pass at any depth.
 * The inputs are returned as written — defaults are applied where they are used (see validation/defaults.ts) —
 * except an absent `name`, which is filled in (see validation/autoName.ts).
 */
import type { CheckResult } from "@pulumi/pulumi/dynamic";
import { planReplacement } from "./diff";
import { COMPUTED_OUTPUT_KEYS, ManagedAmiInputs, SOURCE_KEYS, SourceKey } from "./types";
import { FLAG_DEFAULTS } from "./validation/defaults";
import { Failures, show, typeName } from "./validation/failures";
import { closestKey, optionalBoolean } from "./validation/fields";
import { descriptionProblem, nameProblem } from "./validation/names";
import { regionProblem } from "./validation/regions";
import { checkSource } from "./validation/sources";
import { checkTags } from "./validation/tags";
import { checkLifecycle, LIFECYCLE_KEYS } from "./validation/lifecycle";
import { autoName } from "./validation/autoName";
import { containsUnknown, isAbsent, isUnknown } from "./validation/unknown";

/** Every top-level input. */
export const INPUT_PROPERTIES: readonly string[] = [
  "name",
  "description",
  "tags",
  "region",
  ...SOURCE_KEYS,
  ...Object.keys(FLAG_DEFAULTS),
  ...LIFECYCLE_KEYS,
];
/** Outputs a program might pass by mistake. */
const OUTPUT_ONLY: readonly string[] = COMPUTED_OUTPUT_KEYS;
const ONE_OF = "fromSnapshots, fromInstance, copyOf, fromManifest or adopt";

/** Validates `news` (`olds`: the previous inputs, `{}` on create). Returns `news` unchanged and the failures. */
export function checkInputs(
  olds: ManagedAmiInputs | object | undefined,
  news: unknown,
): CheckResult<ManagedAmiInputs> {
  const failures = new Failures();
  if (news === null || typeof news !== "object" || Array.isArray(news)) {
    failures.add(
      "",
      `ManagedAmi inputs must be an object, got ${typeName(news)}; pass { name, ...one source }.`,
    );
    return { inputs: news as ManagedAmiInputs, failures: failures.list };
  }
  const n = news as Record<string, unknown>;
  checkTopLevelKeys(n, failures);

  const sources = SOURCE_KEYS.filter((k) => !isAbsent(n[k]));
  if (sources.length === 0) {
    failures.add(
      "source",
      `No image source is set; set exactly one of ${ONE_OF} (e.g. fromSnapshots: { rootDeviceName, blockDeviceMappings }).`,
    );
  }
  for (const extra of sources.slice(1)) {
    failures.add(
      extra,
      `Only one source may be set, but ${sources[0]} and ${extra} are both set; keep one of them and remove the other.`,
    );
  }
  for (const kind of sources) checkSource(kind, n[kind], failures);

  checkName(n, sources, failures);
  checkOptional(n, "description", descriptionProblem, failures);
  checkOptional(n, "region", regionProblem, failures);
  checkTags(n.tags, "tags", failures);
  for (const flag of Object.keys(FLAG_DEFAULTS)) optionalBoolean(n, flag, "", failures);
  checkLifecycle(n, failures, (olds ?? {}) as Record<string, unknown>);

  if (failures.list.length > 0 || sources.length !== 1)
    return { inputs: news as ManagedAmiInputs, failures: failures.list };
  // Auto-naming: no name (and not adopt) → the old name when it still fits, else a fresh one.
  const inputs = sources[0] !== "adopt" && isAbsent(n.name) ? autoName(olds, n) : n;
  checkReplacement(olds, inputs, sources[0], failures);
  return { inputs: inputs as ManagedAmiInputs, failures: failures.list };
}

function checkTopLevelKeys(n: Record<string, unknown>, failures: Failures): void {
  for (const key of Object.keys(n)) {
    // `__provider` (the serialized provider) and other engine-internal keys.
    if (key.startsWith("__") || INPUT_PROPERTIES.includes(key) || isAbsent(n[key])) continue;
    if (OUTPUT_ONLY.includes(key)) {
      failures.add(key, `is an output of ManagedAmi, read from AWS, not an input; remove it.`);
      continue;
    }
    const guess = closestKey(key, INPUT_PROPERTIES);
    const hint = guess ? `did you mean "${guess}"? ` : "";
    failures.add(
      key,
      `is not a ManagedAmi input; ${hint}Remove it or use one of: ${INPUT_PROPERTIES.join(", ")}.`,
    );
  }
}

function checkName(n: Record<string, unknown>, sources: SourceKey[], failures: Failures): void {
  const name = n.name;
  if (sources.length === 1 && sources[0] === "adopt") {
    if (!isAbsent(name)) {
      failures.add(
        "name",
        `cannot be set with adopt: an adopted AMI keeps its own name (AMI names cannot be changed) and ManagedAmi records it. Remove name.`,
      );
    }
    return;
  }
  if (isUnknown(name)) return;
  if (isAbsent(name)) return; // auto-named below
  const problem = nameProblem(name);
  if (problem) failures.add("name", problem);
}

function checkOptional(
  n: Record<string, unknown>,
  key: string,
  problem: (v: unknown) => string | undefined,
  failures: Failures,
): void {
  const v = n[key];
  if (isAbsent(v) || isUnknown(v)) return;
  const reason = problem(v);
  if (reason) failures.add(key, reason);
}

/**
 * A replacement that keeps the name in the same region must delete the old image first (AMI names
 * are unique per region). Refuse it when that delete would destroy storage the new source needs.
 */
function checkReplacement(
  olds: unknown,
  n: Record<string, unknown>,
  kind: SourceKey,
  failures: Failures,
): void {
  if (olds === null || typeof olds !== "object" || sourceCount(olds as Record<string, unknown>) !== 1) return;
  if (containsUnknown(n[kind])) return;
  const plan = planReplacement(olds as ManagedAmiInputs, n as ManagedAmiInputs);
  if (plan.replaces.length === 0 || !plan.sameNameSameRegion || plan.reusedStorage === undefined) return;
  const flagFix =
    kind === "copyOf"
      ? "or copy a different image"
      : `or first run an update that only sets ${kind === "fromManifest" ? "deleteBundle" : "deleteSnapshots"}: false (the old storage is then kept)`;
  failures.add(
    kind,
    `This change (${plan.replaces.join(", ")}) replaces the AMI, and since the name ${show(n.name)} stays the same in the same region the old AMI would be deleted first — taking ${plan.reusedStorage}, which the new ${kind} needs, with it. Change name as well (the new AMI is then created first and the old one's delete leaves storage in use alone), ${flagFix}.`,
  );
}

function sourceCount(o: Record<string, unknown>): number {
  return SOURCE_KEYS.filter((k) => !isAbsent(o[k])).length;
}
