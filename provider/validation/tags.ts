/**
 * Tags, under EC2's limits: at most 50 per resource, keys of 1-128 characters not starting with the
 * AWS-reserved `aws:` (any case), string values of at most 256 characters. Unknown values pass.
 */
import { child, Failures, show, typeName } from "./failures";
import { charLength } from "./names";
import { isAbsent, isUnknown } from "./unknown";

/** The EC2 tag limits. */
export const TAG_LIMITS = { maxTags: 50, maxKeyLength: 128, maxValueLength: 256 } as const;

/** Adds a failure for every problem of `tags` at `path` (`tags`); absent or unknown tags pass. */
export function checkTags(tags: unknown, path: string, failures: Failures): void {
  if (isAbsent(tags) || isUnknown(tags)) return;
  if (typeof tags !== "object" || Array.isArray(tags)) {
    failures.add(
      path,
      `must be a map of tag keys to string values, e.g. { Name: "web" }; got ${typeName(tags)} ${show(tags)}.`,
    );
    return;
  }
  const entries = Object.entries(tags as Record<string, unknown>);
  if (entries.length > TAG_LIMITS.maxTags) {
    failures.add(
      path,
      `has ${entries.length} tags; EC2 allows at most ${TAG_LIMITS.maxTags} per resource. Remove ${entries.length - TAG_LIMITS.maxTags} of them.`,
    );
  }
  for (const [key, value] of entries) {
    const at = child(path, key);
    if (key.length === 0)
      failures.add(at, "has an empty key; tag keys need 1-128 characters, give it a name or remove it.");
    if (charLength(key) > TAG_LIMITS.maxKeyLength) {
      failures.add(at, `key is ${charLength(key)} characters long; tag keys allow at most 128, shorten it.`);
    }
    if (key.toLowerCase().startsWith("aws:")) {
      failures.add(
        at,
        `key ${show(key)} uses the "aws:" prefix, which AWS reserves for its own tags; rename the key (e.g. without "aws:").`,
      );
    }
    if (isUnknown(value)) continue;
    if (typeof value !== "string") {
      const hint =
        typeof value === "number" || typeof value === "boolean"
          ? `use ${show(String(value))}`
          : "convert it to text";
      failures.add(at, `value must be a string, got ${typeName(value)} ${show(value)}; ${hint}.`);
    } else if (charLength(value) > TAG_LIMITS.maxValueLength) {
      failures.add(
        at,
        `value is ${charLength(value)} characters long; tag values allow at most 256, shorten it.`,
      );
    }
  }
}
