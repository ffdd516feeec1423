// The in-use guard in production: a ManagedAmi whose delete would go ahead while something still launches from it.
import { ResourceValidationPolicy } from "@pulumi/policy";
import { isManagedAmi } from "../managedAmi";
import {
  CommonConfig,
  configOf,
  describe,
  ignoreResourcesSchema,
  isIgnored,
  readString,
  stackOf,
} from "../props";

interface WhenInUseConfig extends CommonConfig {
  productionStackPattern: string;
  productionStackTags: string[];
}

const DEFAULT_PRODUCTION_PATTERN = "^(prod|production)([-_.].*)?$";
const DEFAULT_PRODUCTION_TAGS = ["environment=production", "environment=prod"];

/**
 * Why the stack counts as production: its name matches `productionStackPattern` (case-insensitive), or
 * one of its stack tags matches an entry of `productionStackTags` (`key=value`, value case-insensitive,
 * or a bare `key` for any value). Undefined when it does not.
 */
export function productionReason(
  stack: string | undefined,
  stackTags: ReadonlyMap<string, string> | undefined,
  config: WhenInUseConfig,
): string | undefined {
  if (
    stack !== undefined &&
    config.productionStackPattern &&
    new RegExp(config.productionStackPattern, "i").test(stack)
  ) {
    return `production stack "${stack}"`;
  }
  for (const entry of Array.isArray(config.productionStackTags) ? config.productionStackTags : []) {
    const eq = entry.indexOf("=");
    const key = eq < 0 ? entry : entry.slice(0, eq);
    const value = stackTags?.get(key);
    if (value === undefined) continue;
    if (eq < 0 || value.toLowerCase() === entry.slice(eq + 1).toLowerCase())
      return `stack "${stack ?? "?"}" tagged ${key}=${value}`;
  }
  return undefined;
}

/**
 * In production stacks, a ManagedAmi keeps the in-use guard blocking: `whenInUse: "warn"` (its delete,
 * replacement or family retirement goes ahead while a launch template, SSM parameter or Image Builder
 * recipe still launches from the image) is flagged. Default: advisory.
 */
export const managedAmiWhenInUseProduction: ResourceValidationPolicy = {
  name: "managed-ami-when-in-use-production",
  description:
    'In production stacks (by name or stack tag), flags ManagedAmi whenInUse: "warn", which lets a delete go ahead while something still launches from the image.',
  enforcementLevel: "advisory",
  configSchema: {
    properties: {
      productionStackPattern: {
        type: "string",
        default: DEFAULT_PRODUCTION_PATTERN,
        description:
          "Case-insensitive regular expression; stacks whose name matches are production stacks. Empty matches no name.",
      },
      productionStackTags: {
        type: "array",
        items: { type: "string" },
        default: DEFAULT_PRODUCTION_TAGS,
        description:
          'Stack tags that mark a production stack: "key=value" (value case-insensitive) or "key" (any value).',
      },
      ignoreResources: ignoreResourcesSchema,
    },
  },
  remediationSteps:
    'Remove whenInUse (default "fail") so a delete stops before deregistering anything and names every launch template ' +
    "version, SSM parameter or Image Builder recipe still using the image; move those to a new image first.",
  validateResource: (args, reportViolation) => {
    if (!isManagedAmi(args)) return;
    const config = configOf<WhenInUseConfig>(args, {
      productionStackPattern: DEFAULT_PRODUCTION_PATTERN,
      productionStackTags: DEFAULT_PRODUCTION_TAGS,
      ignoreResources: [],
    });
    if (isIgnored(config, args)) return;
    // Unknown at preview (UNKNOWN) or unset: not "warn", nothing to say.
    if (readString(args.props, "whenInUse") !== "warn") return;
    const where = productionReason(stackOf(args.urn), args.stackTags, config);
    if (!where) return;
    reportViolation(
      `${describe(args)} in ${where} sets whenInUse: "warn": its delete (destroy, replacement, or retirement by a ` +
        `ManagedAmiFamily) deregisters the image even while a launch template's $Default/$Latest version, an SSM ` +
        `parameter or an Image Builder recipe still launches from it, and the next scale-out fails. Remove whenInUse ` +
        `(default "fail") so the delete stops and names what still uses the image.`,
    );
  },
};
