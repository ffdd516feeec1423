// Public API of pulumi-managed-ami.
export * from "./types";
export { ManagedAmi, type ManagedAmiArgs, type NestedInput } from "./managedAmi";
export { ManagedAmiProvider } from "./provider";
export { ManagedAmiFamily, type ManagedAmiFamilyArgs, type FamilyPlan } from "./family";
