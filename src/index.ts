// ctlkit public API (re-exports only).
export * from './tensor.js';
export type * from './backends/backend.js';
export { createBackend, type BackendChoice } from './backends/index.js';
export type * from './io/types.js';
export type * from './models/family.js';
export { openCheckpoint } from './io/checkpoint.js';
export { SafetensorsWriter, writeSafetensors, storageDType, type FloatOutDType, type WriteOptions } from './io/writer.js';
export { readInputs, type InputOptions, type Inputs } from './io/inputs.js';
export { loadModelConfig } from './io/config.js';
