// Builds validation args the way @pulumi/policy's server does (props behind unknownCheckingProxy) and runs policies.
import {
  PolicyResource,
  PolicyResourceOptions,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationArgs,
  StackValidationPolicy,
  unknownCheckingProxy,
} from "@pulumi/policy";

/** The engine's wire value for "not known until the update runs" (pulumi.runtime.unknownValue). */
export const UNKNOWN_VALUE = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export interface Violation {
  message: string;
  urn?: string;
}

export interface ResourceSpec {
  type: string;
  name: string;
  props: Record<string, unknown>;
  stack?: string;
  protect?: boolean;
  providerProps?: Record<string, unknown>;
}

export function urnOf(type: string, name: string, stack = "dev"): string {
  return `urn:pulumi:${stack}::proj::${type}::${name}`;
}

function options(protect = false): PolicyResourceOptions {
  return {
    protect,
    ignoreChanges: [],
    aliases: [],
    customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
    additionalSecretOutputs: [],
  };
}

function notApplicable(reason?: string): never {
  throw new Error(`notApplicable: ${reason}`);
}

export function resourceArgs(spec: ResourceSpec, config: object = {}): ResourceValidationArgs {
  const props = unknownCheckingProxy(structuredClone(spec.props)) as Record<string, unknown>;
  const args: ResourceValidationArgs = {
    type: spec.type,
    props,
    urn: urnOf(spec.type, spec.name, spec.stack),
    name: spec.name,
    opts: options(spec.protect),
    stackTags: new Map(),
    isType: () => false,
    asType: () => undefined,
    getConfig: <T extends object>() => config as T,
    notApplicable,
  };
  if (spec.providerProps) {
    args.provider = {
      type: "pulumi:providers:aws",
      name: "default",
      urn: urnOf("pulumi:providers:aws", "default", spec.stack),
      props: unknownCheckingProxy(structuredClone(spec.providerProps)) as Record<string, unknown>,
    };
  }
  return args;
}

export interface StackResourceSpec extends ResourceSpec {
  /** Logical names of the resources this one depends on. */
  dependsOn?: string[];
  /** Property name -> logical names of the resources that property depends on. */
  propertyDependsOn?: Record<string, string[]>;
}

export function stackArgs(specs: StackResourceSpec[], config: object = {}): StackValidationArgs {
  const resources: PolicyResource[] = specs.map((spec) => ({
    type: spec.type,
    name: spec.name,
    urn: urnOf(spec.type, spec.name, spec.stack),
    props: unknownCheckingProxy(structuredClone(spec.props)) as Record<string, unknown>,
    opts: options(spec.protect),
    dependencies: [],
    propertyDependencies: {},
    isType: () => false,
    asType: () => undefined,
  }));
  const byName = new Map(resources.map((r) => [r.name, r]));
  const lookup = (name: string): PolicyResource => {
    const r = byName.get(name);
    if (!r) throw new Error(`test setup: no resource named ${name}`);
    return r;
  };
  specs.forEach((spec, i) => {
    resources[i].dependencies = (spec.dependsOn ?? []).map(lookup);
    for (const [prop, names] of Object.entries(spec.propertyDependsOn ?? {})) {
      resources[i].propertyDependencies[prop] = names.map(lookup);
    }
  });
  return { resources, stackTags: new Map(), getConfig: <T extends object>() => config as T, notApplicable };
}

export async function runResourcePolicy(
  policy: ResourceValidationPolicy,
  args: ResourceValidationArgs,
): Promise<Violation[]> {
  const violations: Violation[] = [];
  const validations = Array.isArray(policy.validateResource)
    ? policy.validateResource
    : [policy.validateResource];
  for (const validate of validations) {
    if (validate)
      await validate(args, (message, urn) => violations.push(urn ? { message, urn } : { message }));
  }
  return violations;
}

export async function runStackPolicy(
  policy: StackValidationPolicy,
  args: StackValidationArgs,
): Promise<Violation[]> {
  const violations: Violation[] = [];
  await policy.validateStack(args, (message, urn) => violations.push(urn ? { message, urn } : { message }));
  return violations;
}

/** Messages only, for exact comparison. */
export async function resourceMessages(
  policy: ResourceValidationPolicy,
  spec: ResourceSpec,
  config: object = {},
): Promise<string[]> {
  return (await runResourcePolicy(policy, resourceArgs(spec, config))).map((v) => v.message);
}

export async function stackMessages(
  policy: StackValidationPolicy,
  specs: StackResourceSpec[],
  config: object = {},
): Promise<string[]> {
  return (await runStackPolicy(policy, stackArgs(specs, config))).map((v) => v.message);
}
