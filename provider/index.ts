// Public API of pulumi-managed-ami.
export * from "./types";
export {
  ManagedAmi,
  type ManagedAmiArgs,
  type ManagedAmiCommonArgs,
  type ManagedAmiSources,
  type NestedInput,
} from "./managedAmi";
export { inUseVerdict, type InUseVerdict, type Reference, type WhenInUse } from "./inUse";
export { ManagedAmiProvider } from "./provider";
export { ManagedAmiFamily, type ManagedAmiFamilyArgs, type FamilyPlan } from "./family";
