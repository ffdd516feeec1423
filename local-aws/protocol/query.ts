import { Ec2Error, invalidValue, missing } from "./errors";

/** One decoded EC2 query request: flat `Name.N.Sub` parameters with typed readers. */
export class QueryParams {
  constructor(readonly raw: Record<string, string>) {}

  static parse(body: string, query: URLSearchParams): QueryParams {
    const raw: Record<string, string> = {};
    for (const [k, v] of query) raw[k] = v;
    for (const [k, v] of new URLSearchParams(body)) raw[k] = v;
    return new QueryParams(raw);
  }

  str(name: string): string | undefined {
    return this.raw[name];
  }

  required(name: string): string {
    const v = this.raw[name];
    if (v === undefined || v === "") throw missing(name);
    return v;
  }

  bool(name: string): boolean | undefined {
    const v = this.raw[name];
    if (v === undefined) return undefined;
    if (v === "true") return true;
    if (v === "false") return false;
    throw invalidValue(`Invalid value '${v}' for ${name}. Expected 'true' or 'false'.`);
  }

  int(name: string): number | undefined {
    const v = this.raw[name];
    if (v === undefined) return undefined;
    if (!/^-?\d+$/.test(v)) throw invalidValue(`Invalid value '${v}' for ${name}. Expected an integer.`);
    return Number(v);
  }

  /** `Prefix.1`, `Prefix.2`, … in index order. */
  list(prefix: string): string[] {
    return this.indexes(prefix)
      .map((i) => this.raw[`${prefix}.${i}`])
      .filter((v): v is string => v !== undefined);
  }

  /** `Prefix.N.*` groups as sub-readers, in index order. */
  structs(prefix: string): QueryParams[] {
    return this.indexes(prefix).map((i) => this.sub(`${prefix}.${i}`));
  }

  /** The parameters under `Prefix.` with the prefix removed. */
  sub(prefix: string): QueryParams {
    const out: Record<string, string> = {};
    const p = `${prefix}.`;
    for (const [k, v] of Object.entries(this.raw)) if (k.startsWith(p)) out[k.slice(p.length)] = v;
    return new QueryParams(out);
  }

  has(prefix: string): boolean {
    return Object.keys(this.raw).some((k) => k === prefix || k.startsWith(`${prefix}.`));
  }

  private indexes(prefix: string): number[] {
    const set = new Set<number>();
    const re = new RegExp(`^${prefix.replace(/\./g, "\\.")}\\.(\\d+)(?:\\.|$)`);
    for (const k of Object.keys(this.raw)) {
      const m = re.exec(k);
      if (m) set.add(Number(m[1]));
    }
    return [...set].sort((a, b) => a - b);
  }
}

export interface Filter {
  name: string;
  values: string[];
}

/** Most values one filter takes; AWS answers more with `FilterLimitExceeded`. */
export const MAX_FILTER_VALUES = 200;

/** `Filter.N.Name` / `Filter.N.Value.M`. */
export function readFilters(p: QueryParams): Filter[] {
  return p.structs("Filter").map((f) => {
    const name = f.str("Name");
    if (!name) throw new Ec2Error("InvalidParameterValue", "The filter name must not be empty.");
    const values = f.list("Value");
    if (values.length > MAX_FILTER_VALUES) {
      throw new Ec2Error(
        "FilterLimitExceeded",
        `The maximum number of filter values specified on a single call is ${MAX_FILTER_VALUES}`,
      );
    }
    return { name, values };
  });
}

export interface Tag {
  key: string;
  value: string;
}

/** `Tag.N.Key` / `Tag.N.Value` (value defaults to ""). */
export function readTags(p: QueryParams, prefix = "Tag"): Tag[] {
  return p.structs(prefix).map((t) => ({ key: t.str("Key") ?? "", value: t.str("Value") ?? "" }));
}

export interface TagSpecification {
  resourceType: string;
  tags: Tag[];
}

/** `TagSpecification.N.ResourceType` / `TagSpecification.N.Tag.M.Key|Value`. */
export function readTagSpecifications(p: QueryParams): TagSpecification[] {
  return p.structs("TagSpecification").map((s) => ({
    resourceType: s.str("ResourceType") ?? "",
    tags: readTags(s),
  }));
}
