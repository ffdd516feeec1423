import { Ec2Error } from "../protocol/errors";
import type { Filter, Tag } from "../protocol/query";

/** How to read a filter's candidate values from a resource. */
export type FilterFields<T> = Record<string, (r: T) => (string | undefined)[] | string | undefined>;

/** AWS wildcard matching: `*` any run, `?` one character, `\` escapes; case-sensitive. */
export function wildcardMatch(pattern: string, value: string): boolean {
  let re = "^";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === "\\" && i + 1 < pattern.length) re += escapeRe(pattern[++i]);
    else if (c === "*") re += "[\\s\\S]*";
    else if (c === "?") re += "[\\s\\S]";
    else re += escapeRe(c);
  }
  return new RegExp(`${re}$`).test(value);
}

function escapeRe(c: string): string {
  return c.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}

/** Tag filters shared by every taggable resource: `tag:Key`, `tag-key`, `tag-value`. */
function tagCandidates(name: string, tags: Tag[]): string[] | undefined {
  if (name.startsWith("tag:")) return tags.filter((t) => t.key === name.slice(4)).map((t) => t.value);
  if (name === "tag-key") return tags.map((t) => t.key);
  if (name === "tag-value") return tags.map((t) => t.value);
  return undefined;
}

/**
 * Keep the resources that match every filter (filters AND, values OR). An unknown filter name
 * fails with InvalidParameterValue, as AWS does.
 */
export function applyFilters<T extends { tags: Tag[] }>(
  items: T[],
  filters: Filter[],
  fieldsOf: FilterFields<T>,
): T[] {
  for (const f of filters) {
    if (!(f.name in fieldsOf) && tagCandidates(f.name, []) === undefined) {
      throw new Ec2Error("InvalidParameterValue", `The filter '${f.name}' is invalid`);
    }
  }
  return items.filter((item) =>
    filters.every((f) => {
      const got = tagCandidates(f.name, item.tags) ?? fieldsOf[f.name](item);
      const candidates = (Array.isArray(got) ? got : [got]).filter((v): v is string => v !== undefined);
      return f.values.some((pattern) => candidates.some((c) => wildcardMatch(pattern, c)));
    }),
  );
}
