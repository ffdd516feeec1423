/**
 * `diff`: what a change of inputs does to an existing ManagedAmi. Pure — no AWS call.
 * Replace on a change of source, `name` or an explicitly set `region`; update in place for
 * `description`, `tags`, the three delete flags and the lifecycle inputs (validation/lifecycle.ts). See docs/inputs.md.
 */
import type { DiffResult } from "@pulumi/pulumi/dynamic";
import { ManagedAmiInputs, ManagedAmiOutputs, SOURCE_KEYS, SourceKey } from "./types";
import { deepEqual, effectiveFlag, FLAG_DEFAULTS, FlagName, normalizeSource } from "./validation/defaults";
import { containsUnknown, isAbsent, isUnknown } from "./validation/unknown";
import { LIFECYCLE_DEFAULTS, LIFECYCLE_KEYS } from "./validation/lifecycle";
import { sameDeprecationTime } from "./aws/lifecycle";

/** Properties an update changes in place (ModifyImageAttribute, CreateTags/DeleteTags, state only). */
export const UPDATABLE_PROPERTIES = [
  "description",
  "tags",
  ...(Object.keys(FLAG_DEFAULTS) as FlagName[]),
  ...LIFECYCLE_KEYS,
] as const;

/** Outputs an in-place update never changes. */
export const STABLE_OUTPUTS = [
  "imageId",
  "ownerId",
  "region",
  "name",
  "architecture",
  "rootDeviceType",
  "snapshotIds",
  "bundle",
  "creationDate",
] as const;

type Props = Partial<ManagedAmiOutputs> & Record<string, unknown>;

/** The source set in `props` (the first, in documented order), or `undefined`. */
export function sourceKind(props: Partial<ManagedAmiInputs> | undefined): SourceKey | undefined {
  return SOURCE_KEYS.find((k) => !isAbsent((props as Props | undefined)?.[k]));
}

/** True when `next` is known and equal to `prev` (absent equals absent). */
function same(prev: unknown, next: unknown): boolean {
  return !containsUnknown(next) && deepEqual(prev, next);
}

/** Tags as compared: absent is the empty map; key order does not matter. */
function sameTags(prev: unknown, next: unknown): boolean {
  return same(isAbsent(prev) ? {} : prev, isAbsent(next) ? {} : next);
}

/** What a change from `olds` to `news` replaces, and whether the old image must go first. */
export interface ReplacementPlan {
  /** Properties whose change forces a replacement. */
  replaces: string[];
  /** The new image would take the old one's name in the same region (AMI names are unique per region). */
  sameNameSameRegion: boolean;
  /** Storage the old resource deletes on destroy that the new source registers again, if any. */
  reusedStorage?: string;
}

/**
 * The replacement part of a diff. `olds` may be state (region resolved) or old inputs (region as
 * written); an absent region on either side is taken to be the same region.
 */
export function planReplacement(
  olds: Partial<ManagedAmiOutputs>,
  news: Partial<ManagedAmiInputs>,
): ReplacementPlan {
  const o = olds as Props;
  const n = news as Props;
  const replaces: string[] = [];
  for (const key of SOURCE_KEYS) {
    if (!same(normalizeSource(key, o[key]), normalizeSource(key, n[key]))) replaces.push(key);
  }
  const newKind = sourceKind(news);
  // An adopted image keeps its own name (read from the image); a created one is named by `name`.
  if (newKind !== "adopt" && !same(o.name, n.name)) replaces.push("name");
  // An unset region means "where it already is": only an explicit, different region moves the image.
  if (!isAbsent(n.region) && !isAbsent(o.region) && !same(o.region, n.region)) replaces.push("region");

  const sameRegion = isAbsent(n.region) || isAbsent(o.region) || same(o.region, n.region);
  const sameNameSameRegion =
    newKind !== undefined && newKind !== "adopt" && !isAbsent(o.name) && same(o.name, n.name) && sameRegion;
  return { replaces, sameNameSameRegion, reusedStorage: reusedStorage(o, n, newKind) };
}

/**
 * Storage the old resource will delete that the new source needs (a delete-before-replace would
 * destroy it before the create uses it). Unknown new ids count as possibly reused.
 */
function reusedStorage(o: Props, n: Props, newKind: SourceKey | undefined): string | undefined {
  if (newKind === "fromSnapshots" && effectiveFlag(o, "deleteSnapshots") !== false) {
    const owned = new Set<unknown>([
      ...(Array.isArray(o.snapshotIds) ? o.snapshotIds : []),
      ...(Array.isArray(o.fromSnapshots?.blockDeviceMappings) ? o.fromSnapshots.blockDeviceMappings : []).map(
        (m) => (m as { snapshotId?: unknown } | null)?.snapshotId,
      ),
    ]);
    const src = n.fromSnapshots as unknown;
    if (isUnknown(src)) return "the new source's snapshots (not known yet)";
    const mappings = (src as { blockDeviceMappings?: unknown })?.blockDeviceMappings;
    if (isUnknown(mappings)) return "the new source's snapshots (not known yet)";
    for (const m of Array.isArray(mappings) ? mappings : []) {
      const id = isUnknown(m) ? m : (m as { snapshotId?: unknown } | null)?.snapshotId;
      if (isUnknown(id)) return "the new source's snapshots (not known yet)";
      if (owned.has(id)) return `snapshot ${String(id)}`;
    }
  }
  if (newKind === "fromManifest" && effectiveFlag(o, "deleteBundle") !== false) {
    const loc = (n.fromManifest as { imageLocation?: unknown } | undefined)?.imageLocation ?? n.fromManifest;
    const owned = [
      (o.fromManifest as { imageLocation?: unknown } | undefined)?.imageLocation,
      o.bundle ? `${o.bundle.bucket}/${o.bundle.manifestKey}` : undefined,
    ];
    if (isUnknown(loc)) return "the new source's bundle (not known yet)";
    if (typeof loc === "string" && owned.includes(loc)) return `bundle ${loc}`;
  }
  const ownImage = o.imageId ?? (o.adopt as { imageId?: unknown } | undefined)?.imageId;
  if (newKind === "copyOf" && !isAbsent(ownImage)) {
    const src = n.copyOf as { sourceImageId?: unknown } | undefined;
    const id = isUnknown(src) ? src : src?.sourceImageId;
    if (isUnknown(id)) return "the new source image (not known yet)";
    if (id === ownImage) return `image ${String(id)}`;
  }
  return undefined;
}

/**
 * The diff of a ManagedAmi: `olds` is the recorded state, `news` the checked inputs.
 * `deleteBeforeReplace` when the new image takes the same name in the same region, unless the new
 * source reuses storage the old image deletes (then the create fails on the duplicate name instead,
 * before anything is deleted). A recorded `state: "pending"` (a create that stopped early) is a
 * change, so the update finishes it.
 */
export function diffManagedAmi(_id: string, olds: ManagedAmiOutputs, news: ManagedAmiInputs): DiffResult {
  const o = (olds ?? {}) as Props;
  const n = (news ?? {}) as Props;
  const plan = planReplacement(o, n);
  const updates: string[] = [];
  if (!same(isAbsent(o.description) ? "" : o.description, isAbsent(n.description) ? "" : n.description)) {
    updates.push("description");
  }
  if (!sameTags(o.tags, n.tags)) updates.push("tags");
  for (const flag of Object.keys(FLAG_DEFAULTS) as FlagName[]) {
    if (!same(effectiveFlag(o, flag), effectiveFlag(n, flag))) updates.push(flag);
  }
  updates.push(...lifecycleChanges(o, n));
  const replacing = plan.replaces.length > 0;
  // A create that stopped while the image was pending is finished by update (see update.ts).
  const unfinished = o.state === "pending";
  return {
    changes: replacing || updates.length > 0 || unfinished,
    replaces: plan.replaces,
    stables: replacing ? [] : [...STABLE_OUTPUTS],
    deleteBeforeReplace: replacing && plan.sameNameSameRegion && plan.reusedStorage === undefined,
  };
}

/**
 * The lifecycle inputs that differ between state (`o`, read back from AWS on refresh) and inputs,
 * through their defaults; deprecation times compare to the minute (AWS rounds them).
 */
export function lifecycleChanges(o: Props, n: Props): string[] {
  const changed: string[] = [];
  for (const key of ["whenInUse", "deregistrationProtection", "disabled"] as const) {
    const prev = isAbsent(o[key]) ? LIFECYCLE_DEFAULTS[key] : o[key];
    const next = isAbsent(n[key]) ? LIFECYCLE_DEFAULTS[key] : n[key];
    if (!same(prev, next)) changed.push(key);
  }
  const prevTime = isAbsent(o.deprecationTime) ? undefined : o.deprecationTime;
  const nextTime = isAbsent(n.deprecationTime) ? undefined : n.deprecationTime;
  if (
    isUnknown(nextTime) ||
    !sameDeprecationTime(prevTime as string | undefined, nextTime as string | undefined)
  ) {
    changed.push("deprecationTime");
  }
  return changed;
}

/** An update that changes no lifecycle input keeps the read-back lifecycle outputs of `olds`. */
export function keepLifecycle<T extends Partial<ManagedAmiOutputs>>(
  outs: T,
  olds: Partial<ManagedAmiOutputs>,
): T {
  const kept: T = { ...outs };
  for (const key of ["deregistrationProtection", "deprecationTime", "disabled"] as const) {
    if (olds[key] !== undefined) (kept as Record<string, unknown>)[key] = olds[key];
  }
  return kept;
}
