/**
 * DescribeImageReferences: what in the caller's account and region refers to an image (instances,
 * launch templates, SSM parameters, Image Builder recipes). At most 10 ids per call, paginated.
 */
import { DescribeImageReferencesCommand, type ImageReference } from "@aws-sdk/client-ec2";
import type { Ec2 } from "./images";

export type { ImageReference };

/** AWS's limit of image ids per DescribeImageReferences call. */
export const IMAGE_REFERENCES_MAX_IDS = 10;
/** Page size asked for (AWS accepts 5–1000). */
const PAGE_SIZE = 1000;

/** Every reference to each of `imageIds` (all resource types), keyed by image id; ids without one map to []. */
export async function imageReferences(ec2: Ec2, imageIds: string[]): Promise<Map<string, ImageReference[]>> {
  const ids = [...new Set(imageIds)];
  const out = new Map<string, ImageReference[]>(ids.map((id) => [id, []]));
  for (let i = 0; i < ids.length; i += IMAGE_REFERENCES_MAX_IDS) {
    const chunk = ids.slice(i, i + IMAGE_REFERENCES_MAX_IDS);
    let token: string | undefined;
    do {
      const page = await ec2.send(
        new DescribeImageReferencesCommand({
          ImageIds: chunk,
          IncludeAllResourceTypes: true,
          MaxResults: PAGE_SIZE,
          NextToken: token,
        }),
      );
      for (const ref of page.ImageReferences ?? []) {
        if (!ref.ImageId) continue;
        const list = out.get(ref.ImageId) ?? [];
        list.push(ref);
        out.set(ref.ImageId, list);
      }
      token = page.NextToken || undefined;
    } while (token);
  }
  return out;
}
