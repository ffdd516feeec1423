import { Ec2Error, invalidValue, missing } from "../protocol/errors";
import { readFilters } from "../protocol/query";
import { checkDryRun, iso, tagSet, tagSpecs, type Ec2Context, type Ec2Handler } from "./context";
import { applyFilters, type FilterFields } from "./filters";
import { checkId } from "./ids";
import { isLocked } from "./images";
import { paginate, validatePaging } from "./pagination";
import { renderSnapshot } from "./render";
import type { SnapshotLock, SnapshotRecord } from "./state";

/** EBS snapshot actions: CreateSnapshot, DescribeSnapshots, DeleteSnapshot, Lock/UnlockSnapshot. */

export function notFoundSnapshot(id: string): Ec2Error {
  return new Ec2Error("InvalidSnapshot.NotFound", `The snapshot '${id}' does not exist.`);
}

/** The caller's own snapshot `id` in the caller's region, or InvalidSnapshot.NotFound. */
export function ownSnapshot(ctx: Ec2Context, id: string): SnapshotRecord {
  checkId("snap", id);
  const s = ctx.store.snapshots.get(id);
  if (!s || s.region !== ctx.region || s.ownerId !== ctx.accountId) throw notFoundSnapshot(id);
  return s;
}

export const createSnapshot: Ec2Handler = (ctx) => {
  const volumeId = checkId("vol", ctx.params.required("VolumeId"));
  const vol = ctx.store.volumes.get(volumeId);
  if (!vol || vol.region !== ctx.region || vol.ownerId !== ctx.accountId || vol.state === "deleted") {
    throw new Ec2Error("InvalidVolume.NotFound", `The volume '${volumeId}' does not exist.`);
  }
  const tags = tagSpecs(ctx, ["snapshot"]);
  checkDryRun(ctx);
  const snap = ctx.store.addSnapshot({
    region: ctx.region,
    ownerId: ctx.accountId,
    volumeId,
    volumeSize: vol.size,
    description: ctx.params.str("Description") ?? "",
    encrypted: vol.encrypted,
    tags: tags.snapshot,
  });
  return renderSnapshot(snap) as ReturnType<Ec2Handler>;
};

const SNAPSHOT_FILTERS: FilterFields<SnapshotRecord> = {
  "snapshot-id": (s) => s.snapshotId,
  status: (s) => s.state,
  "volume-id": (s) => s.volumeId,
  description: (s) => s.description,
  "owner-id": (s) => s.ownerId,
  encrypted: (s) => String(s.encrypted),
  progress: (s) => (s.state === "completed" ? "100%" : "0%"),
  "volume-size": (s) => String(s.volumeSize),
  "start-time": (s) => iso(s.startTime),
  "storage-tier": (s) => s.storageTier ?? "standard",
};

export const describeSnapshots: Ec2Handler = (ctx) => {
  const p = ctx.params;
  const ids = p.list("SnapshotId");
  validatePaging(p, { range: [5, 1000], idsParam: "SnapshotId", idsGiven: ids.length > 0 });
  const owners = p.list("Owner");
  let snaps: SnapshotRecord[] = ids.length
    ? ids.map((id) => ownSnapshot(ctx, id))
    : [...ctx.store.snapshots.values()].filter((s) => s.region === ctx.region && s.ownerId === ctx.accountId);
  if (owners.length)
    snaps = snaps.filter((s) =>
      owners.some((o) => (o === "self" ? s.ownerId === ctx.accountId : o === s.ownerId)),
    );
  snaps = applyFilters(snaps, readFilters(p), SNAPSHOT_FILTERS);
  const { page, nextToken } = paginate(snaps, p, "DescribeSnapshots", {
    range: [5, 1000],
    idsParam: "SnapshotId",
    idsGiven: ids.length > 0,
  });
  checkDryRun(ctx);
  return { snapshotSet: page.map(renderSnapshot), nextToken };
};

export const deleteSnapshot: Ec2Handler = (ctx) => {
  const snap = ownSnapshot(ctx, ctx.params.required("SnapshotId"));
  const users = ctx.store.imagesUsingSnapshot(snap.snapshotId, ctx.region);
  if (users.length) {
    throw new Ec2Error(
      "InvalidSnapshot.InUse",
      `The snapshot ${snap.snapshotId} is currently in use by ${users[0].imageId}`,
    );
  }
  if (isLocked(ctx, snap.lock)) {
    if (ctx.store.settings.errorCodes === "alternate") {
      throw invalidValue(`The snapshot ${snap.snapshotId} cannot be deleted at this time.`);
    }
    throw new Ec2Error(
      "SnapshotLocked",
      `The snapshot ${snap.snapshotId} is locked in ${snap.lock?.mode} mode until ${iso(snap.lock?.expiresOn ?? 0)} and can't be deleted.`,
    );
  }
  checkDryRun(ctx);
  ctx.store.removeSnapshot(snap);
  return { return: true };
};

function lockState(ctx: Ec2Context, lock: SnapshotLock): string {
  const now = ctx.store.clock.now();
  if (now >= lock.expiresOn) return "expired";
  if (lock.mode === "governance") return "governance";
  return lock.coolOffExpiresOn !== undefined && now < lock.coolOffExpiresOn
    ? "compliance-cooloff"
    : "compliance";
}

function renderLock(ctx: Ec2Context, s: SnapshotRecord): Record<string, string | number | undefined> {
  const l = s.lock as SnapshotLock;
  return {
    ownerId: s.ownerId,
    snapshotId: s.snapshotId,
    lockState: lockState(ctx, l),
    lockDuration: l.durationDays,
    coolOffPeriod: l.coolOffPeriodHours,
    coolOffPeriodExpiresOn: l.coolOffExpiresOn ? iso(l.coolOffExpiresOn) : undefined,
    lockCreatedOn: iso(l.createdOn),
    lockDurationStartTime: iso(l.createdOn),
    lockExpiresOn: iso(l.expiresOn),
  };
}

export const lockSnapshot: Ec2Handler = (ctx) => {
  const p = ctx.params;
  const snap = ownSnapshot(ctx, p.required("SnapshotId"));
  const mode = p.required("LockMode");
  if (mode !== "governance" && mode !== "compliance")
    throw invalidValue(`Invalid LockMode '${mode}'. Use governance or compliance.`);
  const days = p.int("LockDuration");
  const expiration = p.str("ExpirationDate");
  const coolOff = p.int("CoolOffPeriod");
  if ((days === undefined) === (expiration === undefined))
    throw missing("LockDuration or ExpirationDate (exactly one)");
  if (days !== undefined && (days < 1 || days > 36500))
    throw invalidValue("LockDuration must be between 1 and 36500 days.");
  if (coolOff !== undefined && (mode !== "compliance" || coolOff < 1 || coolOff > 72)) {
    throw invalidValue("CoolOffPeriod is 1-72 hours and only valid with LockMode compliance.");
  }
  const now = ctx.store.clock.now();
  if (snap.lock && isLocked(ctx, snap.lock) && lockState(ctx, snap.lock) === "compliance") {
    const newExpiry = days !== undefined ? now + days * 86400000 : Date.parse(expiration as string);
    if (mode !== "compliance" || newExpiry < snap.lock.expiresOn) {
      throw new Ec2Error(
        "SnapshotLocked",
        `The snapshot ${snap.snapshotId} is locked in compliance mode; the lock can only be extended.`,
      );
    }
  }
  checkDryRun(ctx);
  const expiresOn = days !== undefined ? now + days * 86400000 : Date.parse(expiration as string);
  if (!Number.isFinite(expiresOn) || expiresOn <= now)
    throw invalidValue("ExpirationDate must be a future date.");
  snap.lock = {
    mode,
    createdOn: now,
    expiresOn,
    durationDays: days,
    coolOffPeriodHours: coolOff,
    coolOffExpiresOn: coolOff !== undefined ? now + coolOff * 3600000 : undefined,
  };
  return renderLock(ctx, snap);
};

export const unlockSnapshot: Ec2Handler = (ctx) => {
  const snap = ownSnapshot(ctx, ctx.params.required("SnapshotId"));
  if (snap.lock && isLocked(ctx, snap.lock) && lockState(ctx, snap.lock) === "compliance") {
    throw new Ec2Error(
      "SnapshotLocked",
      `The snapshot ${snap.snapshotId} is locked in compliance mode after its cooling-off period and can't be unlocked.`,
    );
  }
  checkDryRun(ctx);
  snap.lock = undefined;
  return { snapshotId: snap.snapshotId };
};

export const describeLockedSnapshots: Ec2Handler = (ctx) => {
  const p = ctx.params;
  const ids = p.list("SnapshotId");
  let snaps = [...ctx.store.snapshots.values()].filter(
    (s) => s.region === ctx.region && s.ownerId === ctx.accountId && s.lock !== undefined,
  );
  if (ids.length) snaps = snaps.filter((s) => ids.includes(s.snapshotId));
  const filters = readFilters(p);
  for (const f of filters)
    if (f.name !== "lock-state") throw invalidValue(`The filter '${f.name}' is invalid`);
  snaps = snaps.filter((s) =>
    filters.every((f) => f.values.includes(lockState(ctx, s.lock as SnapshotLock))),
  );
  const { page, nextToken } = paginate(snaps, p, "DescribeLockedSnapshots", {
    range: [5, 1000],
    idsGiven: false,
  });
  checkDryRun(ctx);
  return { snapshotSet: page.map((s) => renderLock(ctx, s)), nextToken };
};

/**
 * ModifySnapshotTier(StorageTier=archive): only a completed standard snapshot, and only when every image
 * using it is disabled (aws-facts §7). Archival completes at once; the start time is recorded.
 */
export const modifySnapshotTier: Ec2Handler = (ctx) => {
  const snap = ownSnapshot(ctx, ctx.params.required("SnapshotId"));
  const tier = ctx.params.str("StorageTier") ?? "archive";
  if (tier !== "archive")
    throw invalidValue(`Invalid value '${tier}' for StorageTier. Only 'archive' is valid.`);
  if (snap.state !== "completed") {
    throw new Ec2Error(
      "IncorrectState",
      `The snapshot ${snap.snapshotId} is not completed (state: ${snap.state}).`,
    );
  }
  if (snap.storageTier === "archive") {
    throw new Ec2Error("IncorrectState", `The snapshot ${snap.snapshotId} is already archived.`);
  }
  const users = ctx.store
    .imagesUsingSnapshot(snap.snapshotId, ctx.region)
    .filter((i) => i.state !== "disabled" && i.state !== "deregistered");
  if (users.length) {
    throw new Ec2Error(
      "IncorrectState",
      `The snapshot ${snap.snapshotId} is associated with ${users[0].imageId}, which is not disabled. ` +
        "Disable every AMI that uses the snapshot before archiving it.",
    );
  }
  checkDryRun(ctx);
  const now = ctx.store.clock.now();
  snap.storageTier = "archive";
  snap.lastTieringStartTime = now;
  snap.archivalCompleteTime = now;
  snap.lastTieringOperationStatus = "archival-completed";
  return { snapshotId: snap.snapshotId, tieringStartTime: iso(now) };
};

/** The last archive or restore of a tiered snapshot (seedable; archival completes at once). */
function lastTieringOperation(s: SnapshotRecord): string | undefined {
  if (s.lastTieringStartTime === undefined) return undefined;
  return s.lastTieringOperationStatus ?? "archival-completed";
}

const TIER_FILTERS: FilterFields<SnapshotRecord> = {
  "snapshot-id": (s) => s.snapshotId,
  "volume-id": (s) => s.volumeId,
  "last-tiering-operation": lastTieringOperation,
};

/** When an archived snapshot's archival completed: seeded, else its last tiering start. */
function archivalComplete(s: SnapshotRecord): string | undefined {
  if (s.storageTier !== "archive") return undefined;
  const at = s.archivalCompleteTime ?? s.lastTieringStartTime;
  return at !== undefined ? iso(at) : undefined;
}

/** DescribeSnapshotTierStatus: the caller's snapshots in the region with their tier and last tiering start. */
export const describeSnapshotTierStatus: Ec2Handler = (ctx) => {
  const p = ctx.params;
  let snaps = [...ctx.store.snapshots.values()].filter(
    (s) => s.region === ctx.region && s.ownerId === ctx.accountId,
  );
  snaps = applyFilters(snaps, readFilters(p), TIER_FILTERS);
  const { page, nextToken } = paginate(snaps, p, "DescribeSnapshotTierStatus", {
    range: [5, 1000],
    idsGiven: false,
  });
  checkDryRun(ctx);
  return {
    snapshotTierStatusSet: page.map((s) => ({
      snapshotId: s.snapshotId,
      volumeId: s.volumeId,
      status: s.state,
      ownerId: s.ownerId,
      tagSet: tagSet(s.tags),
      storageTier: s.storageTier ?? "standard",
      lastTieringStartTime: s.lastTieringStartTime !== undefined ? iso(s.lastTieringStartTime) : undefined,
      lastTieringProgress: s.lastTieringStartTime !== undefined ? 100 : undefined,
      lastTieringOperationStatus: lastTieringOperation(s),
      archivalCompleteTime: archivalComplete(s),
    })),
    nextToken,
  };
};
