import { Ec2Error } from "../protocol/errors";
import type { Filter, Tag } from "../protocol/query";

/** How to read a filter's candidate values from a resource. */
export type FilterFields<T> = Record<string, (r: T) => (string | undefined)[] | string | undefined>;

/** AWS wildcard matching: `*` any run, `?` one character, `\` escapes; case-sensitive. */
export function wildcardMatch(pattern: string, value: string): boolean {
  return compileValue(pattern)(value);
}

/**
 * One filter value as a test: a value without wildcards compares as text; a wildcard value is
 * compiled to one regular expression.
 */
function compileValue(pattern: string): (value: string) => boolean {
  if (!/[*?\\]/.test(pattern)) return (value) => value === pattern;
  let re = "^";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === "\\" && i + 1 < pattern.length) re += escapeRe(pattern[++i]);
    else if (c === "*") re += "[\\s\\S]*";
    else if (c === "?") re += "[\\s\\S]";
    else re += escapeRe(c);
  }
  const compiled = new RegExp(`${re}$`);
  return (value) => compiled.test(value);
}

/** The values of one filter as one test: literal values in a set, wildcard values compiled once. */
function compileValues(values: string[]): (candidate: string) => boolean {
  const literal = new Set(values.filter((v) => !/[*?\\]/.test(v)));
  const wild = values.filter((v) => /[*?\\]/.test(v)).map(compileValue);
  return (candidate) => literal.has(candidate) || wild.some((test) => test(candidate));
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
  const tests = filters.map((f) => ({ name: f.name, matches: compileValues(f.values) }));
  return items.filter((item) =>
    tests.every((f) => {
      const got = tagCandidates(f.name, item.tags) ?? fieldsOf[f.name](item);
      const candidates = (Array.isArray(got) ? got : [got]).filter((v): v is string => v !== undefined);
      return candidates.some(f.matches);
    }),
  );
}
