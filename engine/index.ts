/**
 * Engine harness: drives dynamic providers the way the Pulumi engine does, with the real
 * dynamic-provider host of @pulumi/pulumi, so tests and the demo need no Pulumi CLI.
 */
export { serializeProvider, type SerializedProvider } from "./serialize";
export { createProjectDir, packageRoot, type ProjectDir } from "./project";
export { createPackedProject, packPackage, type PackedProject } from "./pack";
export { ProviderHost, HostError, type HostOptions, type CheckFailure, type DiffResult } from "./host";
export {
  LocalEngine,
  CheckFailedError,
  type ResourceState,
  type StepResult,
  type RegisterOptions,
} from "./engine";
export { runProgram, previewProgram, destroyProgram, unwrap, projectName } from "./program";
export type { ProgramOptions, ProgramRun, ProgramResource, ResourceMocks } from "./program";
export { awsMocks, type AwsMockOptions } from "./awsMocks";
export { resolvePackageFromCheckout } from "./resolve";
export { UNKNOWN, stripSecrets, type PropertyMap } from "./wire";
