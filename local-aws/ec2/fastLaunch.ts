import { Ec2Error, invalidValue } from "../protocol/errors";
import { readFilters } from "../protocol/query";
import { checkDryRun, iso, type Ec2Context, type Ec2Handler } from "./context";
import { applyFilters, type FilterFields } from "./filters";
import { checkId } from "./ids";
import { visibleImage } from "./images";
import { paginate } from "./pagination";
import type { FastLaunchRecord } from "./state";
import type { XmlValue } from "../protocol/xml";

/**
 * Windows fast launch (aws-facts §5): EnableFastLaunch (`enabling` → `enabled` after
 * fastLaunchTransitionMs, then TargetResourceCount pre-provisioned snapshots tagged
 * `CreatedBy: EC2 Fast Launch` in the enabling account), DisableFastLaunch (`disabling` → gone, the
 * snapshots deleted, Recycle Bin rules applying), DescribeFastLaunchImages. The platform is not checked.
 */

const key = (ctx: Ec2Context, imageId: string): string => `${ctx.accountId}/${imageId}`;

function render(ctx: Ec2Context, fl: FastLaunchRecord): { [k: string]: XmlValue } {
  const owner = ctx.store.images.get(fl.imageId)?.ownerId ?? fl.accountId;
  return {
    imageId: fl.imageId,
    resourceType: "snapshot",
    snapshotConfiguration: { targetResourceCount: fl.targetResourceCount },
    launchTemplate: fl.launchTemplate,
    maxParallelLaunches: fl.maxParallelLaunches,
    ownerId: owner,
    state: fl.state,
    stateTransitionReason: fl.stateTransitionReason,
    stateTransitionTime: iso(fl.stateTransitionTime),
  };
}

export const enableFastLaunch: Ec2Handler = (ctx) => {
  const p = ctx.params;
  const img = visibleImage(ctx, p.required("ImageId"));
  if (img.state !== "available") {
    throw new Ec2Error("IncorrectState", `The image ${img.imageId} is not available (state: ${img.state}).`);
  }
  const resourceType = p.str("ResourceType") ?? "snapshot";
  if (resourceType !== "snapshot")
    throw invalidValue(`Invalid value '${resourceType}' for ResourceType. Use 'snapshot'.`);
  const target = p.int("SnapshotConfiguration.TargetResourceCount") ?? 5;
  if (target < 1) throw invalidValue("SnapshotConfiguration.TargetResourceCount must be at least 1.");
  const parallel = p.int("MaxParallelLaunches") ?? 6;
  if (parallel < 6) throw invalidValue("MaxParallelLaunches must be at least 6.");
  const lt = p.sub("LaunchTemplate");
  const launchTemplate = p.has("LaunchTemplate")
    ? {
        launchTemplateId: lt.str("LaunchTemplateId"),
        launchTemplateName: lt.str("LaunchTemplateName"),
        version: lt.str("Version"),
      }
    : undefined;
  const existing = ctx.store.fastLaunch.get(key(ctx, img.imageId));
  if (existing?.state === "disabling") {
    throw new Ec2Error(
      "IncorrectState",
      `Fast launch for ${img.imageId} is being disabled; wait until its pre-provisioned snapshots are removed.`,
    );
  }
  checkDryRun(ctx);
  const now = ctx.store.clock.now();
  if (existing) {
    existing.targetResourceCount = target;
    existing.maxParallelLaunches = parallel;
    existing.launchTemplate = launchTemplate;
    return render(ctx, existing);
  }
  const fl: FastLaunchRecord = {
    imageId: img.imageId,
    accountId: ctx.accountId,
    region: ctx.region,
    state: "enabling",
    stateTransitionReason: "Client.UserInitiated",
    stateTransitionTime: now,
    targetResourceCount: target,
    maxParallelLaunches: parallel,
    launchTemplate,
    snapshotIds: [],
    transitionAt: now + ctx.store.timing.fastLaunchTransitionMs,
  };
  ctx.store.fastLaunch.set(key(ctx, img.imageId), fl);
  return render(ctx, fl);
};

export const disableFastLaunch: Ec2Handler = (ctx) => {
  const imageId = checkId("ami", ctx.params.required("ImageId"));
  ctx.params.bool("Force");
  const fl = ctx.store.fastLaunch.get(key(ctx, imageId));
  if (!fl || fl.region !== ctx.region) {
    throw invalidValue(`Fast launch is not enabled for image ${imageId} in this account and Region.`);
  }
  checkDryRun(ctx);
  if (fl.state !== "disabling") {
    const now = ctx.store.clock.now();
    fl.state = "disabling";
    fl.stateTransitionReason = "Client.UserInitiated";
    fl.stateTransitionTime = now;
    fl.transitionAt = now + ctx.store.timing.fastLaunchTransitionMs;
  }
  return render(ctx, fl);
};

const FILTERS: FilterFields<FastLaunchRecord & { tags: [] }> = {
  "resource-type": () => "snapshot",
  "owner-id": (f) => f.accountId,
  state: (f) => f.state,
};

export const describeFastLaunchImages: Ec2Handler = (ctx) => {
  const p = ctx.params;
  const ids = p.list("ImageId");
  for (const id of ids) checkId("ami", id);
  let list = [...ctx.store.fastLaunch.values()]
    .filter((f) => f.accountId === ctx.accountId && f.region === ctx.region)
    .filter((f) => !ids.length || ids.includes(f.imageId))
    .map((f) => ({ ...f, tags: [] as [] }));
  list = applyFilters(list, readFilters(p), FILTERS);
  const { page, nextToken } = paginate(list, p, "DescribeFastLaunchImages", {
    range: [1, 200],
    idsGiven: false,
  });
  checkDryRun(ctx);
  return { fastLaunchImageSet: page.map((f) => render(ctx, f)), nextToken };
};
