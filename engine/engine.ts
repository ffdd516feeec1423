/**
 * The engine's step logic for dynamic resources, over a real provider host: which RPCs run, in which
 * order, with which old/new property bags, and what is written to state. Mirrors `pulumi up`
 * (check → create | diff → update | replace), `pulumi refresh` (read) and `pulumi destroy` (delete).
 */
import { CheckFailure, HostError, ProviderHost } from "./host";
import { containsUnknowns, PropertyMap } from "./wire";

/** One resource in state, as the engine's checkpoint keeps it. */
export interface ResourceState {
  urn: string;
  type: string;
  name: string;
  id: string;
  /** The checked inputs (including `__provider`). */
  inputs: PropertyMap;
  /** The provider's outputs (including `__provider`). */
  outputs: PropertyMap;
  /** Set when create failed after the resource existed (the engine keeps it with init errors). */
  initErrors?: string[];
}

/** What `register` did, in RPC order, and the resulting state. */
export interface StepResult {
  op: "create" | "update" | "replace" | "same";
  rpcs: string[];
  state: ResourceState;
}

/** Resource options the engine honours for these steps. */
export interface RegisterOptions {
  /** Resource option: delete the old resource before creating its replacement. */
  deleteBeforeReplace?: boolean;
}

/** Check failures, reported as the engine reports them (one line per property). */
export class CheckFailedError extends Error {
  constructor(
    readonly urn: string,
    readonly failures: CheckFailure[],
  ) {
    super(`${urn}: check failed:\n${failures.map((f) => `  ${f.property}: ${f.reason}`).join("\n")}`);
    this.name = "CheckFailedError";
  }
}

/** State + step logic; one instance plays one stack. */
export class LocalEngine {
  /** The checkpoint: urn → state, in creation order. */
  readonly resources = new Map<string, ResourceState>();
  /** Every RPC issued, in order (`Check urn`, `Create urn`, …). */
  readonly journal: string[] = [];

  constructor(readonly host: ProviderHost) {}

  /** Preview (`pulumi preview`): Check and, for an existing resource, Diff; unknowns pass as the sentinel. */
  async preview(
    type: string,
    name: string,
    inputs: PropertyMap,
  ): Promise<{ inputs: PropertyMap; changes?: string; replaces?: string[] }> {
    const urn = this.host.urn(type, name);
    const old = this.resources.get(urn);
    const checked = await this.check(urn, old?.inputs ?? {}, inputs);
    if (!old) return { inputs: checked };
    const diff = await this.host.diff(old.id, urn, old.outputs, checked, old.inputs);
    this.journal.push(`Diff ${urn}`);
    return { inputs: checked, changes: diff.changes, replaces: diff.replaces };
  }

  /** `pulumi up` for one resource: create it, or diff against state and update/replace it. */
  async register(
    type: string,
    name: string,
    inputs: PropertyMap,
    opts: RegisterOptions = {},
  ): Promise<StepResult> {
    const urn = this.host.urn(type, name);
    const start = this.journal.length;
    const rpcs = () => this.journal.slice(start).map((line) => line.split(" ")[0]);
    if (containsUnknowns(inputs))
      throw new Error(`${urn}: inputs hold unknown values; an update needs known inputs`);
    const old = this.resources.get(urn);
    const checked = await this.check(urn, old?.inputs ?? {}, inputs);
    if (!old) {
      const state = await this.create(urn, type, name, checked);
      return { op: "create", rpcs: rpcs(), state };
    }
    const diff = await this.host.diff(old.id, urn, old.outputs, checked, old.inputs);
    this.journal.push(`Diff ${urn}`);
    const changed = diff.changes === "some" || (diff.changes === "unknown" && !sameJson(old.inputs, checked));
    if (diff.replaces.length > 0) {
      if (diff.deleteBeforeReplace || opts.deleteBeforeReplace) {
        await this.delete(old);
        const state = await this.create(urn, type, name, checked);
        return { op: "replace", rpcs: rpcs(), state };
      }
      // Create-before-delete: the new resource exists before the old one is deleted.
      const state = await this.create(urn, type, name, checked);
      await this.host.delete(old.id, urn, old.outputs, old.inputs);
      this.journal.push(`Delete ${urn}`);
      return { op: "replace", rpcs: rpcs(), state };
    }
    if (!changed) return { op: "same", rpcs: rpcs(), state: old };
    const updated = await this.host.update(old.id, urn, old.outputs, checked, old.inputs);
    this.journal.push(`Update ${urn}`);
    const state: ResourceState = { ...old, inputs: checked, outputs: updated.properties };
    delete state.initErrors;
    this.resources.set(urn, state);
    return { op: "update", rpcs: rpcs(), state };
  }

  /** `pulumi refresh` for one resource: Read; an empty id removes it from state. */
  async refresh(urn: string): Promise<"updated" | "deleted"> {
    const old = this.mustGet(urn);
    const result = await this.host.read(old.id, urn, old.outputs, old.inputs);
    this.journal.push(`Read ${urn}`);
    if (!result.id) {
      this.resources.delete(urn);
      return "deleted";
    }
    this.resources.set(urn, {
      ...old,
      id: result.id,
      outputs: result.properties,
      inputs: result.inputs ?? old.inputs,
    });
    return "updated";
  }

  /** `pulumi destroy` for one resource: Delete with exactly the recorded outputs; state kept on failure. */
  async destroy(urn: string): Promise<void> {
    await this.delete(this.mustGet(urn));
  }

  /** `pulumi destroy` for the stack: every resource, newest first. */
  async destroyAll(): Promise<void> {
    for (const urn of [...this.resources.keys()].reverse()) await this.destroy(urn);
  }

  private async check(urn: string, olds: PropertyMap, news: PropertyMap): Promise<PropertyMap> {
    const result = await this.host.check(urn, olds, news);
    this.journal.push(`Check ${urn}`);
    if (result.failures.length > 0) throw new CheckFailedError(urn, result.failures);
    return result.inputs;
  }

  private async create(
    urn: string,
    type: string,
    name: string,
    checked: PropertyMap,
  ): Promise<ResourceState> {
    const created = await this.host
      .create(urn, checked)
      .catch((err) => this.recordInitFailure(err, urn, type, name, checked));
    this.journal.push(`Create ${urn}`);
    const state: ResourceState = {
      urn,
      type,
      name,
      id: created.id,
      inputs: checked,
      outputs: created.properties,
    };
    this.resources.set(urn, state);
    return state;
  }

  private async delete(old: ResourceState): Promise<void> {
    this.journal.push(`Delete ${old.urn}`);
    await this.host.delete(old.id, old.urn, old.outputs, old.inputs);
    this.resources.delete(old.urn);
  }

  /** A create error with an id: the engine records the partial resource (outputs = the error's properties). */
  private recordInitFailure(
    err: unknown,
    urn: string,
    type: string,
    name: string,
    checked: PropertyMap,
  ): never {
    this.journal.push(`Create ${urn}`);
    if (err instanceof HostError && err.initFailure?.id) {
      const { id, properties, reasons } = err.initFailure;
      this.resources.set(urn, {
        urn,
        type,
        name,
        id,
        inputs: checked,
        outputs: properties,
        initErrors: reasons,
      });
    }
    throw err;
  }

  private mustGet(urn: string): ResourceState {
    const state = this.resources.get(urn);
    if (!state) throw new Error(`${urn} is not in state`);
    return state;
  }
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
