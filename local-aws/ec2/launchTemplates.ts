import { Ec2Error, invalidValue, missing } from "../protocol/errors";
import type { QueryParams } from "../protocol/query";
import { readFilters } from "../protocol/query";
import { checkDryRun, iso, tagSet, tagSpecs, type Ec2Context, type Ec2Handler } from "./context";
import { applyFilters, type FilterFields } from "./filters";
import { checkId, newId } from "./ids";
import { paginate } from "./pagination";
import type { LaunchTemplateRecord, LaunchTemplateVersionRecord } from "./state";
import type { XmlValue } from "../protocol/xml";
import type { Tag } from "../protocol/query";

/**
 * Launch templates and their versions, per account and region: Create, CreateVersion, Modify (default
 * version), Describe, DescribeVersions (`$Latest`/`$Default`/numbers, `image-id` filter, paging), Delete.
 * Only `ImageId`, `InstanceType` and `KeyName` of the launch data are kept.
 */

const NAME_RE = /^[a-zA-Z0-9().\-/_]{3,128}$/;
const PAGE: [number, number] = [1, 200];

function checkName(name: string): string {
  if (!NAME_RE.test(name)) {
    throw invalidValue(
      `Launch template name '${name}' is invalid: use 3-128 letters, numbers and the characters ( ) . - / _`,
    );
  }
  return name;
}

function readData(
  p: QueryParams,
  base: LaunchTemplateVersionRecord["data"] = {},
): LaunchTemplateVersionRecord["data"] {
  const d = p.sub("LaunchTemplateData");
  const data = { ...base };
  const imageId = d.str("ImageId");
  if (imageId !== undefined) {
    if (imageId === "") throw invalidValue("LaunchTemplateData.ImageId must not be empty.");
    data.imageId = imageId;
  }
  if (d.str("InstanceType") !== undefined) data.instanceType = d.str("InstanceType");
  if (d.str("KeyName") !== undefined) data.keyName = d.str("KeyName");
  return data;
}

function templateNotFoundById(id: string): Ec2Error {
  return new Ec2Error(
    "InvalidLaunchTemplateId.NotFound",
    `The specified launch template, with template ID ${id}, does not exist.`,
  );
}

function templateNotFoundByName(name: string): Ec2Error {
  return new Ec2Error(
    "InvalidLaunchTemplateName.NotFoundException",
    `The specified launch template, with template name ${name}, does not exist.`,
  );
}

function ownTemplates(ctx: Ec2Context): LaunchTemplateRecord[] {
  return [...ctx.store.launchTemplates.values()].filter(
    (t) => t.region === ctx.region && t.ownerId === ctx.accountId,
  );
}

function findById(ctx: Ec2Context, id: string): LaunchTemplateRecord {
  checkId("lt", id);
  const t = ctx.store.launchTemplates.get(id);
  if (!t || t.region !== ctx.region || t.ownerId !== ctx.accountId) throw templateNotFoundById(id);
  return t;
}

function findByName(ctx: Ec2Context, name: string): LaunchTemplateRecord {
  const t = ownTemplates(ctx).find((x) => x.name === name);
  if (!t) throw templateNotFoundByName(name);
  return t;
}

/** The template named by `LaunchTemplateId` or `LaunchTemplateName` (exactly one). */
function targetTemplate(ctx: Ec2Context): LaunchTemplateRecord {
  const id = ctx.params.str("LaunchTemplateId");
  const name = ctx.params.str("LaunchTemplateName");
  if (id && name) {
    throw new Ec2Error(
      "InvalidParameterCombination",
      "Specify either LaunchTemplateId or LaunchTemplateName, not both.",
    );
  }
  if (id) return findById(ctx, id);
  if (name) return findByName(ctx, name);
  throw missing("LaunchTemplateId or LaunchTemplateName");
}

/** Resolve `$Latest`, `$Default` or a version number of `t`. */
function resolveVersion(t: LaunchTemplateRecord, v: string): LaunchTemplateVersionRecord {
  let n: number;
  if (v === "$Latest") n = t.latestVersion;
  else if (v === "$Default") n = t.defaultVersion;
  else if (/^\d+$/.test(v)) n = Number(v);
  else
    throw invalidValue(`Invalid launch template version '${v}'. Use a version number, $Latest or $Default.`);
  const found = t.versions.find((x) => x.versionNumber === n);
  if (!found) {
    throw new Ec2Error(
      "InvalidLaunchTemplateId.VersionNotFound",
      `Could not find launch template version ${v} for launch template ID ${t.launchTemplateId}`,
    );
  }
  return found;
}

const createdBy = (t: LaunchTemplateRecord): string => `arn:aws:iam::${t.ownerId}:root`;

function renderTemplate(t: LaunchTemplateRecord): XmlValue {
  return {
    launchTemplateId: t.launchTemplateId,
    launchTemplateName: t.name,
    createTime: iso(t.createTime),
    createdBy: createdBy(t),
    defaultVersionNumber: t.defaultVersion,
    latestVersionNumber: t.latestVersion,
    tagSet: tagSet(t.tags),
  };
}

function renderVersion(t: LaunchTemplateRecord, v: LaunchTemplateVersionRecord): XmlValue {
  return {
    launchTemplateId: t.launchTemplateId,
    launchTemplateName: t.name,
    versionNumber: v.versionNumber,
    versionDescription: v.description,
    createTime: iso(v.createTime),
    createdBy: createdBy(t),
    defaultVersion: v.versionNumber === t.defaultVersion,
    launchTemplateData: {
      imageId: v.data.imageId,
      instanceType: v.data.instanceType,
      keyName: v.data.keyName,
    },
  };
}

export const createLaunchTemplate: Ec2Handler = (ctx) => {
  const p = ctx.params;
  const name = checkName(p.required("LaunchTemplateName"));
  if (!p.has("LaunchTemplateData")) throw missing("LaunchTemplateData");
  const data = readData(p);
  const tags = tagSpecs(ctx, ["launch-template"]);
  if (ownTemplates(ctx).some((t) => t.name === name)) {
    throw new Ec2Error(
      "InvalidLaunchTemplateName.AlreadyExistsException",
      `Launch template name already in use: ${name}`,
    );
  }
  checkDryRun(ctx);
  const now = ctx.store.clock.now();
  const t: LaunchTemplateRecord = {
    launchTemplateId: newId("lt"),
    name,
    region: ctx.region,
    ownerId: ctx.accountId,
    createTime: now,
    defaultVersion: 1,
    latestVersion: 1,
    highestVersion: 1,
    tags: tags["launch-template"] ?? ([] as Tag[]),
    versions: [{ versionNumber: 1, description: p.str("VersionDescription"), createTime: now, data }],
  };
  ctx.store.launchTemplates.set(t.launchTemplateId, t);
  return { launchTemplate: renderTemplate(t) };
};

/** A new version: the SourceVersion's data (if given) overridden by LaunchTemplateData; never the default. */
export const createLaunchTemplateVersion: Ec2Handler = (ctx) => {
  const p = ctx.params;
  const t = targetTemplate(ctx);
  const source = p.str("SourceVersion");
  const base = source !== undefined && source !== "" ? resolveVersion(t, source).data : {};
  const data = readData(p, base);
  if (t.versions.length >= 10000) {
    throw new Ec2Error(
      "VersionLimitExceeded",
      `Launch template ${t.launchTemplateId} has 10000 versions; delete old versions first.`,
    );
  }
  checkDryRun(ctx);
  const v: LaunchTemplateVersionRecord = {
    versionNumber: t.highestVersion + 1,
    description: p.str("VersionDescription"),
    createTime: ctx.store.clock.now(),
    data,
  };
  t.versions.push(v);
  t.latestVersion = v.versionNumber;
  t.highestVersion = v.versionNumber;
  return { launchTemplateVersion: renderVersion(t, v) };
};

/** SetDefaultVersion (wire name of `DefaultVersion`): an existing version number. */
export const modifyLaunchTemplate: Ec2Handler = (ctx) => {
  const t = targetTemplate(ctx);
  const wanted = ctx.params.str("SetDefaultVersion");
  const v = wanted !== undefined && wanted !== "" ? resolveVersion(t, wanted) : undefined;
  checkDryRun(ctx);
  if (v) t.defaultVersion = v.versionNumber;
  return { launchTemplate: renderTemplate(t) };
};

export const deleteLaunchTemplate: Ec2Handler = (ctx) => {
  const t = targetTemplate(ctx);
  checkDryRun(ctx);
  ctx.store.launchTemplates.delete(t.launchTemplateId);
  return { launchTemplate: renderTemplate(t) };
};

/**
 * DeleteLaunchTemplateVersions: up to 200 versions; the default version and unknown versions are
 * reported in the unsuccessful set (the call itself succeeds), as AWS does.
 */
export const deleteLaunchTemplateVersions: Ec2Handler = (ctx) => {
  const t = targetTemplate(ctx);
  const versions = ctx.params.list("LaunchTemplateVersion");
  if (!versions.length) throw missing("LaunchTemplateVersion");
  if (versions.length > 200) throw invalidValue("DeleteLaunchTemplateVersions accepts at most 200 versions.");
  checkDryRun(ctx);
  const ok: XmlValue[] = [];
  const failed: XmlValue[] = [];
  for (const text of versions) {
    const n = /^\d+$/.test(text) ? Number(text) : NaN;
    const base = { launchTemplateId: t.launchTemplateId, launchTemplateName: t.name, versionNumber: n };
    const idx = t.versions.findIndex((v) => v.versionNumber === n);
    if (idx < 0) {
      failed.push({
        ...base,
        versionNumber: Number.isFinite(n) ? n : undefined,
        responseError: {
          code: "launchTemplateVersionDoesNotExist",
          message: `The specified launch template version ${text} does not exist.`,
        },
      });
    } else if (n === t.defaultVersion) {
      failed.push({
        ...base,
        responseError: {
          code: "unexpectedError",
          message: `Version ${n} is the default version of ${t.launchTemplateId} and cannot be deleted.`,
        },
      });
    } else {
      t.versions.splice(idx, 1);
      ok.push(base);
    }
  }
  t.latestVersion = Math.max(...t.versions.map((v) => v.versionNumber));
  return {
    successfullyDeletedLaunchTemplateVersionSet: ok,
    unsuccessfullyDeletedLaunchTemplateVersionSet: failed,
  };
};

const TEMPLATE_FILTERS: FilterFields<LaunchTemplateRecord> = {
  "create-time": (t) => iso(t.createTime),
  "launch-template-name": (t) => t.name,
};

export const describeLaunchTemplates: Ec2Handler = (ctx) => {
  const p = ctx.params;
  const ids = p.list("LaunchTemplateId");
  const names = p.list("LaunchTemplateName");
  let list: LaunchTemplateRecord[];
  if (ids.length || names.length) {
    list = [...ids.map((id) => findById(ctx, id)), ...names.map((n) => findByName(ctx, n))];
    list = list.filter((t, i) => list.indexOf(t) === i);
  } else {
    list = ownTemplates(ctx).sort((a, b) => a.createTime - b.createTime);
  }
  list = applyFilters(list, readFilters(p), TEMPLATE_FILTERS);
  const { page, nextToken } = paginate(list, p, "DescribeLaunchTemplates", { range: PAGE, idsGiven: false });
  checkDryRun(ctx);
  return { launchTemplates: page.map(renderTemplate), nextToken };
};

interface VersionRow {
  t: LaunchTemplateRecord;
  v: LaunchTemplateVersionRecord;
  tags: Tag[];
}

const VERSION_FILTERS: FilterFields<VersionRow> = {
  "create-time": (r) => iso(r.v.createTime),
  "image-id": (r) => r.v.data.imageId,
  "instance-type": (r) => r.v.data.instanceType,
  "is-default-version": (r) => String(r.v.versionNumber === r.t.defaultVersion),
};

/**
 * One template (by id or name), or every template of the account when only `$Latest`/`$Default` are
 * asked for. Newest version first.
 */
export const describeLaunchTemplateVersions: Ec2Handler = (ctx) => {
  const p = ctx.params;
  const versions = p.list("LaunchTemplateVersion");
  const hasTarget = !!(p.str("LaunchTemplateId") || p.str("LaunchTemplateName"));
  let templates: LaunchTemplateRecord[];
  if (hasTarget) {
    templates = [targetTemplate(ctx)];
  } else {
    if (!versions.length || versions.some((v) => v !== "$Latest" && v !== "$Default")) {
      throw missing(
        "LaunchTemplateId or LaunchTemplateName (only $Latest / $Default versions can be described across all templates)",
      );
    }
    templates = ownTemplates(ctx).sort((a, b) => a.createTime - b.createTime);
  }
  const min = p.int("MinVersion");
  const max = p.int("MaxVersion");
  let rows: VersionRow[] = [];
  for (const t of templates) {
    let vs: LaunchTemplateVersionRecord[];
    if (versions.length) {
      vs = versions.map((v) => resolveVersion(t, v));
      vs = vs.filter((v, i) => vs.indexOf(v) === i);
    } else {
      vs = t.versions.filter(
        (v) => (min === undefined || v.versionNumber >= min) && (max === undefined || v.versionNumber <= max),
      );
    }
    vs = [...vs].sort((a, b) => b.versionNumber - a.versionNumber);
    rows.push(...vs.map((v) => ({ t, v, tags: [] as Tag[] })));
  }
  rows = applyFilters(rows, readFilters(p), VERSION_FILTERS);
  const { page, nextToken } = paginate(rows, p, "DescribeLaunchTemplateVersions", {
    range: PAGE,
    idsGiven: false,
  });
  checkDryRun(ctx);
  return { launchTemplateVersionSet: page.map((r) => renderVersion(r.t, r.v)), nextToken };
};
