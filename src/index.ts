// ctlkit public API (re-exports only).
export * from './tensor.js';
export type * from './backends/backend.js';
export { createBackend, type BackendChoice } from './backends/index.js';
export type * from './io/types.js';
export type * from './models/family.js';
