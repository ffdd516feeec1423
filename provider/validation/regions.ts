/**
 * Region names, by pattern rather than a closed list so regions launched later still pass:
 * a geography (`us`, `eu`, `ap`, `eusc`, …), an optional partition tag (`gov`, `iso`, `isob`, `de`, …),
 * a direction (`east`, `central`, `southeast`, …) and a number. `us-east-1a` (a zone) and
 * `US-EAST-1` are rejected with the fix.
 */
import { show, typeName } from "./failures";

const DIRECTIONS = "north|south|east|west|central|northeast|northwest|southeast|southwest";
const REGION = new RegExp(`^[a-z]{2,4}(-[a-z]{2,4})?-(${DIRECTIONS})-[1-9][0-9]?$`);
const ZONE = new RegExp(`^([a-z]{2,4}(-[a-z]{2,4})?-(${DIRECTIONS})-[1-9][0-9]?)[a-z]$`);
const ZONE_ID = /^[a-z]{3,6}[0-9]{1,2}-az[0-9]{1,2}$/;
const EXAMPLES = "e.g. us-east-1, eu-central-2, us-gov-west-1 or cn-north-1";

/** True when `v` has the shape of an AWS region name. */
export function isRegion(v: unknown): v is string {
  return typeof v === "string" && REGION.test(v);
}

/** Why `v` is not a region name (problem, then fix), or `undefined` when it is. */
export function regionProblem(v: unknown): string | undefined {
  if (isRegion(v)) return undefined;
  if (typeof v !== "string")
    return `must be a region name string, got ${typeName(v)} ${show(v)}; ${EXAMPLES}.`;
  const trimmed = v.trim().toLowerCase();
  if (trimmed !== v && isRegion(trimmed)) {
    return `${show(v)} is not a region name as AWS writes it; use ${show(trimmed)} (lowercase, no spaces).`;
  }
  const zone = ZONE.exec(trimmed);
  if (zone) {
    return `${show(v)} is an Availability Zone, not a region; use its region ${show(zone[1])}.`;
  }
  if (ZONE_ID.test(trimmed)) {
    return `${show(v)} is an Availability Zone ID, not a region; use the region name, ${EXAMPLES}.`;
  }
  return `${show(v)} is not a region name: expected <area>-<direction>-<number>, ${EXAMPLES}. List them with \`aws ec2 describe-regions\`.`;
}
