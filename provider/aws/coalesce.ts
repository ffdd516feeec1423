/**
 * Shared lookups: concurrent EC2 lookups by id made in one process (each ManagedAmi delete asks
 * about its own image and snapshots) are coalesced, transparently inside the client, into one call
 * per batching window, paginated to the end. Each caller gets exactly its own answer: the items for
 * its ids, no NextToken, and its own errors — when AWS fails a combined call because of one id
 * (`InvalidAMIID.NotFound` for an `ImageIds` entry, …), one call through the matching filter
 * (`image-id`, `snapshot-id`) answers the callers whose ids exist and the others run alone; where no
 * filter exists the batch is split in halves. Either way each caller gets the answer it would have
 * had alone. Window: `MANAGED_AMI_BATCH_WINDOW_MS` (default 5 ms; `0` disables sharing), held open
 * up to `MANAGED_AMI_BATCH_LINGER_MS` (default 2000 ms) while paced calls of the same credentials and
 * region wait for tokens (the process is bound by AWS's buckets then, not by lookups) or a shared
 * call of theirs is still in flight (its callers' next lookups follow it).
 */
import type {
  HandlerExecutionContext,
  InitializeHandler,
  InitializeHandlerArguments,
  InitializeHandlerOutput,
  InitializeMiddleware,
} from "@smithy/types";
import { httpStatus, isAccessDenied, isThrottling } from "./errors";
import { pacerBusy, scopeOf } from "./pacer";

type Input = Record<string, unknown>;
type Item = Record<string, unknown>;

/** One way an action takes ids: a list parameter or one filter, and how answers map back to ids. */
interface IdForm {
  command: string;
  param?: string;
  filter?: string;
  /** The response list. */
  list: string;
  /** The ids an answer item belongs to. */
  keysOf(item: Item): unknown[];
  /** Most ids in one call (AWS's limit, or 200 where AWS publishes none: its limit on filter values). */
  maxIds: number;
  /** For a list parameter: the filter that selects the same ids without failing on unknown ones. */
  probeFilter?: string;
}

const imageId = (item: Item): unknown[] => [item.ImageId];
const snapshotId = (item: Item): unknown[] => [item.SnapshotId];
const mappedSnapshots = (item: Item): unknown[] =>
  ((item.BlockDeviceMappings as { Ebs?: { SnapshotId?: string } }[] | undefined) ?? []).map(
    (m) => m.Ebs?.SnapshotId,
  );

/** The lookups that are shared. Order matters: a list parameter wins over a filter of the same action. */
export const ID_FORMS: readonly IdForm[] = [
  {
    command: "DescribeImagesCommand",
    param: "ImageIds",
    list: "Images",
    keysOf: imageId,
    maxIds: 200,
    probeFilter: "image-id",
  },
  { command: "DescribeImagesCommand", filter: "image-id", list: "Images", keysOf: imageId, maxIds: 200 },
  {
    command: "DescribeImagesCommand",
    filter: "block-device-mapping.snapshot-id",
    list: "Images",
    keysOf: mappedSnapshots,
    maxIds: 200,
  },
  {
    command: "DescribeSnapshotsCommand",
    param: "SnapshotIds",
    list: "Snapshots",
    keysOf: snapshotId,
    maxIds: 200,
  },
  {
    command: "DescribeSnapshotsCommand",
    filter: "snapshot-id",
    list: "Snapshots",
    keysOf: snapshotId,
    maxIds: 200,
  },
  {
    command: "DescribeLockedSnapshotsCommand",
    param: "SnapshotIds",
    list: "Snapshots",
    keysOf: snapshotId,
    maxIds: 200,
  },
  {
    command: "DescribeFastLaunchImagesCommand",
    param: "ImageIds",
    list: "FastLaunchImages",
    keysOf: imageId,
    maxIds: 200,
  },
  {
    command: "DescribeImageReferencesCommand",
    param: "ImageIds",
    list: "ImageReferences",
    keysOf: imageId,
    maxIds: 10,
  },
  {
    command: "ListSnapshotsInRecycleBinCommand",
    param: "SnapshotIds",
    list: "Snapshots",
    keysOf: snapshotId,
    maxIds: 200,
  },
  {
    command: "ListImagesInRecycleBinCommand",
    param: "ImageIds",
    list: "Images",
    keysOf: imageId,
    maxIds: 20,
  },
];

/** A lookup that can share a call: its form, its ids, and every other parameter (paging removed). */
export interface SharedLookup {
  form: IdForm;
  ids: string[];
  rest: Input;
}

/**
 * Whether `input` of `command` can be shared, and how. Not shared: a continuation (`NextToken`),
 * `DryRun`, more ids than one call takes, or ids given both ways.
 */
export function sharedLookup(command: string, input: Input): SharedLookup | undefined {
  if (input.NextToken || input.DryRun) return undefined;
  for (const form of ID_FORMS) {
    if (form.command !== command) continue;
    const { MaxResults: _max, NextToken: _next, ...rest } = input;
    if (form.param) {
      const ids = rest[form.param];
      if (!Array.isArray(ids) || ids.length === 0) continue;
      if (ids.length > form.maxIds || !ids.every((id) => typeof id === "string")) return undefined;
      delete rest[form.param];
      return { form, ids: [...new Set(ids as string[])], rest };
    }
    const filters = (rest.Filters as { Name?: string; Values?: string[] }[] | undefined) ?? [];
    const mine = filters.filter((f) => f.Name === form.filter);
    if (mine.length !== 1) continue;
    const values = mine[0].Values ?? [];
    if (values.length === 0 || values.length > form.maxIds) return undefined;
    const others = ID_FORMS.filter(
      (f) =>
        f.command === command &&
        f.param &&
        Array.isArray(rest[f.param]) &&
        (rest[f.param] as unknown[]).length > 0,
    );
    if (others.length > 0) return undefined;
    rest.Filters = filters.filter((f) => f !== mine[0]);
    return { form, ids: [...new Set(values)], rest };
  }
  return undefined;
}

/** The input of one call for `ids` with `rest`. */
export function combinedInput(form: IdForm, rest: Input, ids: string[]): Input {
  if (form.param) return { ...rest, [form.param]: ids };
  return { ...rest, Filters: [...((rest.Filters as unknown[]) ?? []), { Name: form.filter, Values: ids }] };
}

/** A stable text of the non-id parameters: calls share only when these are identical. */
function fingerprint(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(fingerprint).join(",")}]`;
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (value && typeof value === "object") {
    const entries = Object.entries(value as Input).filter(([, v]) => v !== undefined);
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${fingerprint(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

type Output = InitializeHandlerOutput<object>;

interface Unit {
  ids: Set<string>;
  args: InitializeHandlerArguments<object>;
  next: InitializeHandler<object, object>;
  resolve(out: Output): void;
  reject(err: unknown): void;
}

interface Batch {
  key: string;
  accessKeyId: string;
  region: string;
  lookup: SharedLookup;
  units: Unit[];
  ids: Set<string>;
  openedAt: number;
  timer?: NodeJS.Timeout;
}

/** Shared lookup statistics, for benchmarks: callers served and calls made. */
export interface CoalesceStats {
  callers: number;
  calls: number;
  splits: number;
}

interface State {
  open: Map<string, Batch>;
  /** Shared calls being made, per access key id and region. */
  inFlight: Map<string, number>;
  stats: CoalesceStats;
}

const STATE = Symbol.for("pulumi-managed-ami.coalesce.v1");

function state(): State {
  const g = globalThis as unknown as Record<symbol, State | undefined>;
  return (g[STATE] ??= { open: new Map(), inFlight: new Map(), stats: { callers: 0, calls: 0, splits: 0 } });
}

export function coalesceStats(): CoalesceStats {
  return { ...state().stats };
}

export function resetCoalesceStats(): void {
  Object.assign(state().stats, { callers: 0, calls: 0, splits: 0 });
}

function envMs(name: string, fallback: number): number {
  const raw = process.env[name];
  const value = raw === undefined || raw.trim() === "" ? NaN : Number(raw);
  return Number.isFinite(value) && value >= 0 ? value : fallback;
}

/** Default batching window (ms): long enough for the calls one event-loop burst starts. */
export const DEFAULT_WINDOW_MS = 5;
/** Default longest hold (ms) while the pacer makes calls of the same credentials and region wait. */
export const DEFAULT_LINGER_MS = 2000;

function enqueue(
  key: string,
  who: { accessKeyId: string; region: string },
  lookup: SharedLookup,
  unit: Unit,
): void {
  const open = state().open;
  let batch = open.get(key);
  if (batch && new Set([...batch.ids, ...unit.ids]).size > lookup.form.maxIds) {
    flush(batch);
    batch = undefined;
  }
  if (!batch) {
    batch = { key, ...who, lookup, units: [], ids: new Set(), openedAt: Date.now() };
    open.set(key, batch);
  }
  batch.units.push(unit);
  for (const id of unit.ids) batch.ids.add(id);
  if (batch.ids.size >= lookup.form.maxIds) return flush(batch);
  if (!batch.timer) schedule(batch);
}

function schedule(batch: Batch): void {
  const window = envMs("MANAGED_AMI_BATCH_WINDOW_MS", DEFAULT_WINDOW_MS);
  const linger = envMs("MANAGED_AMI_BATCH_LINGER_MS", DEFAULT_LINGER_MS);
  // Held open while paced calls of the same credentials and region wait for tokens, or while a
  // shared call of theirs is in flight (its callers' next lookups follow it): bounded by the linger.
  const check = (): void => {
    const age = Date.now() - batch.openedAt;
    const related = (state().inFlight.get(`${batch.accessKeyId}|${batch.region}`) ?? 0) > 0;
    if (age < linger && (related || pacerBusy(batch.accessKeyId, batch.region))) {
      batch.timer = setTimeout(check, Math.max(window, 20));
      return;
    }
    flush(batch);
  };
  batch.timer = setTimeout(check, window);
}

function flush(batch: Batch): void {
  if (batch.timer) clearTimeout(batch.timer);
  const open = state().open;
  if (open.get(batch.key) === batch) open.delete(batch.key);
  // While a shared call is in flight, the lookups its callers make next are held for it (see schedule).
  const who = `${batch.accessKeyId}|${batch.region}`;
  const inFlight = state().inFlight;
  const shared = batch.units.length > 1;
  if (shared) inFlight.set(who, (inFlight.get(who) ?? 0) + 1);
  void run(batch.lookup, batch.units).finally(() => {
    if (shared) inFlight.set(who, (inFlight.get(who) ?? 1) - 1);
  });
}

/** Client errors that one id can cause for the whole call (not throttling, not missing permission). */
function caughtByOneId(err: unknown): boolean {
  const status = httpStatus(err);
  return status !== undefined && status >= 400 && status < 500 && !isThrottling(err) && !isAccessDenied(err);
}

/**
 * Run `units` as one call (each alone when single). When an id fails the call: with a probe filter,
 * one call through the filter (which skips unknown ids) answers every caller whose ids it returns,
 * and the others run alone, so each gets exactly its own answer; without one, split in halves.
 */
async function run(lookup: SharedLookup, units: Unit[]): Promise<void> {
  const stats = state().stats;
  if (units.length === 1) {
    stats.calls += 1;
    const [unit] = units;
    return unit.next(unit.args).then(unit.resolve, unit.reject);
  }
  const ids = [...new Set(units.flatMap((u) => [...u.ids]))];
  let pages: Output[];
  try {
    pages = await fetchAll(units[0], combinedInput(lookup.form, lookup.rest, ids), lookup.form.list);
  } catch (err) {
    if (!caughtByOneId(err)) {
      for (const unit of units) unit.reject(err);
      return;
    }
    stats.splits += 1;
    if (lookup.form.probeFilter) return probe(lookup, units, ids);
    const half = Math.ceil(units.length / 2);
    await Promise.all([run(lookup, units.slice(0, half)), run(lookup, units.slice(half))]);
    return;
  }
  distribute(lookup, units, pages);
}

/** Give each unit the items of `pages` that belong to its ids, as one complete page. */
function distribute(lookup: SharedLookup, units: Unit[], pages: Output[]): void {
  const items = pages.flatMap(
    (p) => ((p.output as Record<string, unknown>)[lookup.form.list] as Item[] | undefined) ?? [],
  );
  const last = pages[pages.length - 1];
  for (const unit of units) {
    const own = items.filter((item) =>
      lookup.form.keysOf(item).some((k) => typeof k === "string" && unit.ids.has(k)),
    );
    const output = {
      ...(last.output as Record<string, unknown>),
      [lookup.form.list]: own,
      NextToken: undefined,
    };
    unit.resolve({ output, response: last.response });
  }
}

/**
 * The shared call failed because of some id: ask once through the probe filter, answer the callers
 * whose ids all came back (the same records the id list returns), and run the others alone.
 */
async function probe(lookup: SharedLookup, units: Unit[], ids: string[]): Promise<void> {
  const form = { ...lookup.form, param: undefined, filter: lookup.form.probeFilter };
  let pages: Output[];
  try {
    pages = await fetchAll(units[0], combinedInput(form, lookup.rest, ids), lookup.form.list);
  } catch {
    await Promise.all(units.map((unit) => run(lookup, [unit])));
    return;
  }
  const found = new Set(
    pages
      .flatMap((p) => ((p.output as Record<string, unknown>)[lookup.form.list] as Item[] | undefined) ?? [])
      .flatMap((item) => lookup.form.keysOf(item))
      .filter((k): k is string => typeof k === "string"),
  );
  const complete = units.filter((u) => [...u.ids].every((id) => found.has(id)));
  if (complete.length > 0) distribute(lookup, complete, pages);
  await Promise.all(units.filter((u) => !complete.includes(u)).map((unit) => run(lookup, [unit])));
}

/** Every page of one call, through the first caller's own handler chain (retries, pacing, signing). */
async function fetchAll(unit: Unit, input: Input, list: string): Promise<Output[]> {
  const pages: Output[] = [];
  let token: string | undefined;
  const seen = new Set<string>();
  do {
    state().stats.calls += 1;
    const page = await unit.next({ ...unit.args, input: token ? { ...input, NextToken: token } : input });
    pages.push(page);
    token = (page.output as { NextToken?: string }).NextToken || undefined;
    if (token && seen.has(token)) throw new Error(`${list}: the endpoint repeated pagination token ${token}`);
    if (token) seen.add(token);
  } while (token);
  return pages;
}

/** The identity part of the sharing key: resolved per call, so clients of different credentials never share. */
export interface ScopeSource {
  region: string;
  /** The endpoint in use (explicit, configured or AWS's), as a stable text. */
  endpoint(): Promise<string>;
  /** The access key id the call will be signed with. */
  accessKeyId(): Promise<string>;
}

/**
 * Initialize-step middleware: shareable lookups join the open batch of their scope, action and
 * parameters; anything else passes through untouched.
 */
export function coalescingMiddleware(source: ScopeSource): InitializeMiddleware<object, object> {
  return (next, context: HandlerExecutionContext) => async (args) => {
    if (envMs("MANAGED_AMI_BATCH_WINDOW_MS", DEFAULT_WINDOW_MS) === 0) return next(args);
    const command = context.commandName ?? "";
    const lookup = sharedLookup(command, args.input as Input);
    if (!lookup) return next(args);
    const accessKeyId = await source.accessKeyId();
    const scope = scopeOf(accessKeyId, source.region, await source.endpoint());
    const key = `${scope}|${command}|${lookup.form.param ?? lookup.form.filter}|${fingerprint(lookup.rest)}`;
    state().stats.callers += 1;
    return new Promise<Output>((resolve, reject) => {
      enqueue(key, { accessKeyId, region: source.region }, lookup, {
        ids: new Set(lookup.ids),
        args,
        next,
        resolve,
        reject,
      });
    });
  };
}
