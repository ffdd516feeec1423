import { Ec2Error, invalidValue, missing } from "../protocol/errors";
import { checkDryRun, type Ec2Context, type Ec2Handler } from "./context";
import { visibleImage } from "./images";
import { paginate } from "./pagination";
import { IMAGE_REFERENCE_TYPES, type ImageReferenceType } from "./state";

/**
 * DescribeImageReferences (aws-facts §3): which of the caller's resources in the region use the given
 * images. `ec2:Instance` from instances (option `state-name`), `ec2:LaunchTemplate` from the most recent
 * `version-depth` versions (default 10) of each launch template, and `ssm:Parameter` /
 * `imagebuilder:ImageRecipe` / `imagebuilder:ContainerRecipe` from references seeded with
 * `aws.state.ec2.seedImageReference`. `settings.imageReferences` can make it unsupported or denied.
 */

const INSTANCE_STATES = ["pending", "running", "shutting-down", "terminated", "stopping", "stopped"];

interface Wanted {
  types: Set<ImageReferenceType>;
  states?: string[];
  depth: number;
}

function readWanted(ctx: Ec2Context): Wanted {
  const p = ctx.params;
  const all = p.bool("IncludeAllResourceTypes") ?? false;
  const requests = p.structs("ResourceType");
  if (!all && requests.length === 0) throw missing("IncludeAllResourceTypes or ResourceTypes");
  const wanted: Wanted = { types: new Set(all ? IMAGE_REFERENCE_TYPES : []), depth: 10 };
  for (const r of requests) {
    const type = r.str("ResourceType") ?? "";
    if (!(IMAGE_REFERENCE_TYPES as readonly string[]).includes(type)) {
      throw invalidValue(
        `Invalid value '${type}' for ResourceType. Valid values: ${IMAGE_REFERENCE_TYPES.join(", ")}.`,
      );
    }
    wanted.types.add(type as ImageReferenceType);
    for (const o of r.structs("ResourceTypeOption")) {
      const name = o.str("OptionName") ?? "";
      const values = o.list("OptionValue");
      if (name === "state-name" && type === "ec2:Instance") {
        const bad = values.find((v) => !INSTANCE_STATES.includes(v));
        if (bad !== undefined) throw invalidValue(`Invalid value '${bad}' for option state-name.`);
        wanted.states = values;
      } else if (name === "version-depth" && type === "ec2:LaunchTemplate") {
        const depth = values.length === 1 && /^\d+$/.test(values[0]) ? Number(values[0]) : NaN;
        if (!(depth >= 1 && depth <= 10000)) {
          throw invalidValue(
            `Invalid value '${values.join(",")}' for option version-depth: expected 1-10000.`,
          );
        }
        wanted.depth = depth;
      } else {
        throw invalidValue(`The option '${name}' is not valid for resource type ${type}.`);
      }
    }
  }
  return wanted;
}

export const describeImageReferences: Ec2Handler = (ctx) => {
  const mode = ctx.store.settings.imageReferences;
  if (mode === "unsupported") {
    throw new Ec2Error(
      "InvalidAction",
      "The action DescribeImageReferences is not valid for this web service.",
    );
  }
  if (mode === "denied") {
    throw new Ec2Error(
      "UnauthorizedOperation",
      `You are not authorized to perform this operation. User: arn:aws:iam::${ctx.accountId}:user/local-aws ` +
        "is not authorized to perform: ec2:DescribeImageReferences because no identity-based policy allows " +
        "the ec2:DescribeImageReferences action",
      403,
    );
  }
  const p = ctx.params;
  const ids = p.list("ImageId");
  if (ids.length === 0) throw missing("ImageId");
  if (ids.length > 10) {
    throw invalidValue(`DescribeImageReferences accepts 1 to 10 image IDs per request, got ${ids.length}.`);
  }
  const wanted = readWanted(ctx);
  const images = ids.map((id) => visibleImage(ctx, id));
  const refs: { imageId: string; resourceType: string; arn: string }[] = [];
  const region = ctx.region;
  const account = ctx.accountId;
  for (const img of images) {
    if (wanted.types.has("ec2:Instance")) {
      for (const i of ctx.store.instances.values()) {
        if (i.region !== region || i.ownerId !== account || i.imageId !== img.imageId) continue;
        if (wanted.states && !wanted.states.includes(i.state)) continue;
        refs.push({
          imageId: img.imageId,
          resourceType: "ec2:Instance",
          arn: `arn:aws:ec2:${region}:${account}:instance/${i.instanceId}`,
        });
      }
    }
    if (wanted.types.has("ec2:LaunchTemplate")) {
      for (const t of ctx.store.launchTemplates.values()) {
        if (t.region !== region || t.ownerId !== account) continue;
        const recent = [...t.versions]
          .sort((a, b) => b.versionNumber - a.versionNumber)
          .slice(0, wanted.depth);
        if (!recent.some((v) => v.data.imageId === img.imageId)) continue;
        refs.push({
          imageId: img.imageId,
          resourceType: "ec2:LaunchTemplate",
          arn: `arn:aws:ec2:${region}:${account}:launch-template/${t.launchTemplateId}`,
        });
      }
    }
    for (const s of ctx.store.imageReferences) {
      if (s.imageId !== img.imageId || s.region !== region || s.accountId !== account) continue;
      if (!wanted.types.has(s.resourceType)) continue;
      refs.push({ imageId: s.imageId, resourceType: s.resourceType, arn: s.arn });
    }
  }
  const { page, nextToken } = paginate(refs, p, "DescribeImageReferences", {
    range: [5, 1000],
    idsGiven: false,
  });
  checkDryRun(ctx);
  return { imageReferenceSet: page, nextToken };
};
