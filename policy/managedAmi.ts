// Reading ManagedAmi properties (spec: docs of ManagedAmiArgs) and matching EBS snapshots to the resources that own them.
import { PolicyResource } from "@pulumi/policy";
import {
  read,
  readArray,
  readBoolean,
  readString,
  SNAPSHOT_TYPES,
  Subject,
  TYPES,
  UNKNOWN,
  Unknown,
} from "./props";

/** The five mutually exclusive ManagedAmi sources. */
export const SOURCES = ["fromSnapshots", "fromInstance", "copyOf", "fromManifest", "adopt"] as const;
export type Source = (typeof SOURCES)[number];

export function isManagedAmi(subject: Pick<Subject, "type">): boolean {
  return subject.type === TYPES.managedAmi;
}

/** The source the ManagedAmi uses: the first of SOURCES that is set (an unknown object still counts as set). */
export function sourceOf(props: unknown): Source | undefined {
  for (const source of SOURCES) {
    const v = read(props, source);
    if (v !== undefined && v !== null) return source;
  }
  return undefined;
}

/** `deleteSnapshots` with its default (true) applied; UNKNOWN during preview when computed. */
export function deleteSnapshotsOf(props: unknown): boolean | Unknown {
  return readBoolean(props, "deleteSnapshots") ?? true;
}

/** `deleteBundle` with its default (true) applied. */
export function deleteBundleOf(props: unknown): boolean | Unknown {
  return readBoolean(props, "deleteBundle") ?? true;
}

/** `disableDeregistrationProtection` with its default (false) applied. */
export function disableProtectionOf(props: unknown): boolean | Unknown {
  return readBoolean(props, "disableDeregistrationProtection") ?? false;
}

/**
 * The snapshot ids a `fromSnapshots` ManagedAmi registers (each may be UNKNOWN at preview);
 * UNKNOWN when the mapping list itself is unknown; [] for other sources.
 */
export function registeredSnapshotIds(props: unknown): (string | Unknown)[] | Unknown {
  if (sourceOf(props) !== "fromSnapshots") return [];
  const mappings = readArray(props, "fromSnapshots", "blockDeviceMappings");
  if (mappings === UNKNOWN) return UNKNOWN;
  if (mappings === undefined) return [];
  const ids: (string | Unknown)[] = [];
  for (const mapping of mappings) {
    if (mapping === UNKNOWN) {
      ids.push(UNKNOWN);
      continue;
    }
    const id = readString(mapping, "snapshotId");
    if (id !== undefined) ids.push(id);
  }
  return ids;
}

/** The snapshot id an aws.ebs Snapshot/SnapshotCopy/SnapshotImport manages: its `id`, else the tail of its `arn`. */
export function snapshotResourceId(resource: Pick<Subject, "props">): string | Unknown | undefined {
  const id = readString(resource.props, "id");
  if (typeof id === "string" && id !== "") return id;
  const arn = readString(resource.props, "arn");
  if (typeof arn === "string") {
    const m = /:snapshot\/(snap-[0-9a-f]+)$/.exec(arn);
    if (m) return m[1];
  }
  return id === UNKNOWN || arn === UNKNOWN ? UNKNOWN : undefined;
}

/** A snapshot both registered by a ManagedAmi and managed by another resource in the stack. */
export interface SharedSnapshot {
  /** The aws.ebs Snapshot/SnapshotCopy/SnapshotImport resource that also deletes it. */
  owner: PolicyResource;
  /** The snapshot id, or UNKNOWN when matched by dependency because the id is not known yet (preview). */
  snapshotId: string | Unknown;
}

/**
 * The other resources in the stack that manage a snapshot this ManagedAmi registers.
 * Known ids are matched by value. When some registered id is unknown (preview: the snapshot is created in this
 * update), the snapshot resources the ManagedAmi's `fromSnapshots` depends on are reported instead
 * (propertyDependencies["fromSnapshots"]; all `dependencies` when the engine sent no property dependencies).
 */
export function sharedSnapshots(ami: PolicyResource, resources: readonly PolicyResource[]): SharedSnapshot[] {
  const ids = registeredSnapshotIds(ami.props);
  if (Array.isArray(ids) && ids.length === 0) return [];
  const known = Array.isArray(ids) ? ids.filter((id): id is string => typeof id === "string") : [];
  const anyUnknown = ids === UNKNOWN || ids.some((id) => id === UNKNOWN);

  const found: SharedSnapshot[] = [];
  const seen = new Set<string>();
  for (const r of resources) {
    if (!SNAPSHOT_TYPES.includes(r.type) || r.urn === ami.urn) continue;
    const id = snapshotResourceId(r);
    if (typeof id === "string" && known.includes(id)) {
      found.push({ owner: r, snapshotId: id });
      seen.add(r.urn);
    }
  }
  if (!anyUnknown) return found;

  const deps = Object.prototype.hasOwnProperty.call(ami.propertyDependencies ?? {}, "fromSnapshots")
    ? ami.propertyDependencies.fromSnapshots
    : (ami.dependencies ?? []);
  for (const dep of deps) {
    if (!dep || !SNAPSHOT_TYPES.includes(dep.type) || seen.has(dep.urn)) continue;
    const id = snapshotResourceId(dep);
    // A dependency whose known id is not among the known registered ids is still a candidate for an unknown one.
    found.push({ owner: dep, snapshotId: typeof id === "string" ? id : UNKNOWN });
    seen.add(dep.urn);
  }
  return found;
}
