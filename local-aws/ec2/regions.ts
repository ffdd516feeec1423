import { invalidValue } from "../protocol/errors";
import { readFilters } from "../protocol/query";
import { checkDryRun, type Ec2Handler } from "./context";

/** DescribeRegions: the commercial regions enabled by default, plus opt-in ones with AllRegions. */

export const DEFAULT_REGIONS = [
  "ap-northeast-1",
  "ap-northeast-2",
  "ap-northeast-3",
  "ap-south-1",
  "ap-southeast-1",
  "ap-southeast-2",
  "ca-central-1",
  "eu-central-1",
  "eu-north-1",
  "eu-west-1",
  "eu-west-2",
  "eu-west-3",
  "sa-east-1",
  "us-east-1",
  "us-east-2",
  "us-west-1",
  "us-west-2",
];

export const OPT_IN_REGIONS = [
  "af-south-1",
  "ap-east-1",
  "ap-south-2",
  "ap-southeast-3",
  "ap-southeast-4",
  "ca-west-1",
  "eu-central-2",
  "eu-south-1",
  "eu-south-2",
  "il-central-1",
  "me-central-1",
  "me-south-1",
];

export const describeRegions: Ec2Handler = (ctx) => {
  const p = ctx.params;
  const all = p.bool("AllRegions") ?? false;
  let regions = [
    ...DEFAULT_REGIONS.map((r) => ({ name: r, opt: "opt-in-not-required" })),
    ...(all ? OPT_IN_REGIONS.map((r) => ({ name: r, opt: "not-opted-in" })) : []),
  ];
  const names = p.list("RegionName");
  if (names.length) {
    const known = new Set([...DEFAULT_REGIONS, ...OPT_IN_REGIONS]);
    for (const n of names) if (!known.has(n)) throw invalidValue(`Invalid region: ${n}`);
    regions = regions.filter((r) => names.includes(r.name));
  }
  for (const f of readFilters(p)) {
    if (f.name === "region-name") regions = regions.filter((r) => f.values.includes(r.name));
    else if (f.name === "opt-in-status") regions = regions.filter((r) => f.values.includes(r.opt));
    else if (f.name !== "endpoint") throw invalidValue(`The filter '${f.name}' is invalid`);
  }
  checkDryRun(ctx);
  return {
    regionInfo: regions.map((r) => ({
      regionName: r.name,
      regionEndpoint: `ec2.${r.name}.amazonaws.com`,
      optInStatus: r.opt,
    })),
  };
};
