/**
 * Finding the images of a family: own images (`Owners: ["self"]`) whose name starts with a prefix
 * and/or that carry every given tag, disabled and deprecated ones included, every page read. The
 * filters run on AWS's side; the results are checked again here, since EC2 filter values treat
 * `*` and `?` as wildcards.
 */
import { EC2Client, paginateDescribeImages, type Filter } from "@aws-sdk/client-ec2";
import { forPaginator } from "./clients";
import { errorCode, errorMessage, isAccessDenied } from "./errors";
import type { Ec2 } from "./images";

/** What selects a family's images; at least one of the two is set. */
export interface FamilySelector {
  namePrefix?: string;
  tags?: Record<string, string>;
}

/** One own image, as much of it as retention needs. */
export interface DiscoveredImage {
  imageId: string;
  name: string;
  creationDate?: string;
  state: string;
  tags: Record<string, string>;
}

/** The DescribeImages filters for a selector: `name` with a trailing `*`, one `tag:<key>` per tag. */
export function selectorFilters(selector: FamilySelector): Filter[] {
  const filters: Filter[] = [];
  if (selector.namePrefix !== undefined) filters.push({ Name: "name", Values: [`${selector.namePrefix}*`] });
  for (const [key, value] of Object.entries(selector.tags ?? {}))
    filters.push({ Name: `tag:${key}`, Values: [value] });
  return filters;
}

/** True when the image's name and tags match the selector exactly (no wildcard semantics). */
export function matchesSelector(
  image: { name: string; tags: Record<string, string> },
  selector: FamilySelector,
): boolean {
  if (selector.namePrefix !== undefined && !image.name.startsWith(selector.namePrefix)) return false;
  return Object.entries(selector.tags ?? {}).every(([k, v]) => image.tags[k] === v);
}

/** Every own image matching the selector, in any state AWS still lists (deregistered ones dropped); pages of `pageSize` (default 1000, AWS's maximum). */
export async function discoverImages(
  ec2: Ec2,
  selector: FamilySelector,
  options: { pageSize?: number } = {},
): Promise<DiscoveredImage[]> {
  const pages = paginateDescribeImages(
    { client: forPaginator(EC2Client, ec2), pageSize: options.pageSize ?? 1000 },
    { Owners: ["self"], Filters: selectorFilters(selector), IncludeDisabled: true, IncludeDeprecated: true },
  );
  const found = new Map<string, DiscoveredImage>();
  for await (const page of pages) {
    for (const image of page.Images ?? []) {
      if (!image.ImageId || image.State === "deregistered") continue;
      const tags = Object.fromEntries(
        (image.Tags ?? []).filter((t) => t.Key !== undefined).map((t) => [t.Key as string, t.Value ?? ""]),
      );
      const candidate: DiscoveredImage = {
        imageId: image.ImageId,
        name: image.Name ?? "",
        ...(image.CreationDate ? { creationDate: image.CreationDate } : {}),
        state: image.State ?? "unknown",
        tags,
      };
      if (matchesSelector(candidate, selector)) found.set(candidate.imageId, candidate);
    }
  }
  return [...found.values()];
}

/** A discovery failure, naming what was asked, where, the cause and the fix. */
export class DiscoveryError extends Error {
  constructor(
    readonly family: string,
    readonly region: string,
    readonly cause: unknown,
  ) {
    super(
      `ManagedAmiFamily "${family}": could not list the family's images in ${region} (DescribeImages, Owners self): ${errorMessage(cause)}. ${fixFor(cause)}`,
    );
    this.name = "DiscoveryError";
  }
}

function fixFor(err: unknown): string {
  if (isAccessDenied(err))
    return "Grant ec2:DescribeImages to the identity running the program (and check its credentials are valid), then run again.";
  const code = errorCode(err);
  if (code === "CredentialsProviderError" || /credential/i.test(errorMessage(err)))
    return "Configure AWS credentials (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE or an SSO login), then run again.";
  return "Nothing was changed; fix the cause above and run again.";
}
