/**
 * The in-use guard (spec v2 "In-use guard"), shared by destroy and the audit: what would still launch
 * new instances from an image. Launch templates (current `$Default`/`$Latest` versions only), SSM
 * parameters and Image Builder recipes block a delete; instances are informational (they keep running).
 */
import { errorCode, errorMessage, isImageReferencesUnavailable, isNotFoundImage } from "./aws/errors";
import type { Ec2 } from "./aws/images";
import { imageReferences } from "./aws/imageReferences";
import { currentVersionsUsing, launchTemplateIdFromArn } from "./aws/launchTemplates";

/** One thing that refers to the image. */
export interface Reference {
  /** `ec2:Instance`, `ec2:LaunchTemplate`, `ssm:Parameter`, `imagebuilder:ImageRecipe`, … */
  resourceType: string;
  arn: string;
  /** For a launch template: which version, e.g. `version 3 ($Default, $Latest)`. */
  detail?: string;
}

export interface InUseVerdict {
  /** What would launch new instances from the image: a delete fails on these (`whenInUse: "fail"`). */
  blocking: Reference[];
  /** Instances launched from it: they keep running after deregistration. */
  informational: Reference[];
  /** Set when AWS could not answer (unknown action or no permission): why. Nothing is known then. */
  unavailable?: string;
}

/** What `whenInUse` does with blocking references; default `fail`. */
export type WhenInUse = "fail" | "warn";

const INSTANCE = "ec2:Instance";
const LAUNCH_TEMPLATE = "ec2:LaunchTemplate";

/**
 * Asks AWS what refers to `imageId` and sorts it into blocking and informational references. A launch
 * template blocks only when its `$Default` or `$Latest` version uses the image. Unknown resource types
 * block (safety first). AWS unable to answer → `unavailable`; any other error is thrown.
 */
export async function inUseVerdict(ec2: Ec2, imageId: string): Promise<InUseVerdict> {
  let refs;
  try {
    refs = (await imageReferences(ec2, [imageId])).get(imageId) ?? [];
  } catch (err) {
    if (isNotFoundImage(err)) return { blocking: [], informational: [] };
    if (isImageReferencesUnavailable(err)) {
      return { blocking: [], informational: [], unavailable: `${errorCode(err)}: ${errorMessage(err)}` };
    }
    throw err;
  }
  const verdict: InUseVerdict = { blocking: [], informational: [] };
  for (const ref of refs) {
    const resourceType = ref.ResourceType ?? "unknown";
    const arn = ref.Arn ?? "(no ARN)";
    if (resourceType === INSTANCE) {
      verdict.informational.push({ resourceType, arn });
    } else if (resourceType === LAUNCH_TEMPLATE) {
      const ltId = launchTemplateIdFromArn(ref.Arn);
      if (!ltId) {
        verdict.blocking.push({ resourceType, arn, detail: "version unknown" });
        continue;
      }
      for (const use of await currentVersionsUsing(ec2, ltId, imageId)) {
        const version = use.versionNumber !== undefined ? `version ${use.versionNumber}` : "a version";
        verdict.blocking.push({ resourceType, arn, detail: `${version} (${use.aliases.join(", ")})` });
      }
    } else {
      verdict.blocking.push({ resourceType, arn });
    }
  }
  return verdict;
}

/** How many instance ids a warning names. */
const INSTANCES_NAMED = 5;

/** `- arn (detail)` lines naming every blocking reference. */
function referenceLines(refs: Reference[]): string {
  return refs.map((r) => `  - ${r.resourceType} ${r.arn}${r.detail ? ` — ${r.detail}` : ""}`).join("\n");
}

/** The failure (or, with `warn`, warning) text for blocking references: every reference and the fix. */
export function inUseMessage(label: string, imageId: string, blocking: Reference[], mode: WhenInUse): string {
  const head =
    mode === "fail"
      ? `${label}: still in use — ${blocking.length} reference(s) would launch new instances from ${imageId}; nothing was deregistered or deleted:`
      : `${label}: ${blocking.length} reference(s) would still launch new instances from ${imageId}; deleting anyway (whenInUse: "warn"):`;
  const fix =
    mode === "fail"
      ? `Point each of them at another image (for a launch template: create a new version and make it the default, ` +
        `or delete the template), or set whenInUse: "warn" and run pulumi up, then destroy again.`
      : `They will fail to launch once the image is deregistered; point them at another image.`;
  return `${head}\n${referenceLines(blocking)}\n${fix}`;
}

/** The warning for instances still running from the image (count and up to five ids). */
export function instancesMessage(label: string, imageId: string, instances: Reference[]): string {
  const ids = instances.map((r) => r.arn.replace(/^.*instance\//, ""));
  const shown = ids.slice(0, INSTANCES_NAMED).join(", ");
  const more = ids.length > INSTANCES_NAMED ? `, and ${ids.length - INSTANCES_NAMED} more` : "";
  return `${label}: ${ids.length} instance(s) launched from ${imageId} are still there (${shown}${more}); they keep running after the image is deregistered.`;
}

/** The warning when AWS cannot say what uses the image. */
export function unavailableMessage(label: string, imageId: string, why: string): string {
  return (
    `${label}: could not check what still uses ${imageId} (DescribeImageReferences: ${why}); deleting without the in-use check. ` +
    `Grant ec2:DescribeImageReferences (e.g. AWS's managed policy AmazonEC2ImageReferencesAccessPolicy) to the identity running destroy to enable it.`
  );
}

/** Thrown when blocking references stop a delete under `whenInUse: "fail"`. */
export class ImageInUseError extends Error {
  constructor(
    message: string,
    readonly imageId: string,
    readonly blocking: Reference[],
  ) {
    super(message);
    this.name = "ImageInUseError";
  }
}

/**
 * The guard step of a delete: returns the warnings to log, or throws `ImageInUseError` when a blocking
 * reference exists and `mode` is `fail` (before anything is deregistered or deleted).
 */
export async function guardInUse(
  ec2: Ec2,
  imageId: string,
  mode: WhenInUse,
  label: string,
): Promise<string[]> {
  const verdict = await inUseVerdict(ec2, imageId);
  if (verdict.unavailable !== undefined) return [unavailableMessage(label, imageId, verdict.unavailable)];
  const warnings: string[] = [];
  if (verdict.blocking.length > 0) {
    const message = inUseMessage(label, imageId, verdict.blocking, mode);
    if (mode === "fail") throw new ImageInUseError(message, imageId, verdict.blocking);
    warnings.push(message);
  }
  if (verdict.informational.length > 0)
    warnings.push(instancesMessage(label, imageId, verdict.informational));
  return warnings;
}
