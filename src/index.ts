// ctlkit public API (re-exports only).
export * from './tensor.js';
export type * from './backends/backend.js';
export { createBackend, type BackendChoice } from './backends/index.js';
export type * from './io/types.js';
export type * from './models/family.js';
export { openCheckpoint } from './io/checkpoint.js';
export { SafetensorsWriter, writeSafetensors, storageDType, type FloatOutDType, type WriteOptions } from './io/writer.js';
export { readInputs, type InputOptions, type Inputs } from './io/inputs.js';
export { loadModelConfig } from './models/config.js';
export { buildModel, detectArchitecture } from './models/index.js';
export { validateInput } from './models/input.js';
export {
  forward,
  uploadStageParams,
  uploadInput,
  resolveCapture,
  type ForwardOptions,
  type HostParams,
  type StageParams,
} from './models/forward.js';
export { openModel, type OpenModelOptions } from './models/open.js';
export {
  parseGrid,
  interpolation,
  averaging,
  taskArithmetic,
  negation,
  explicitMatrix,
  matrixFromFile,
  coefficientRow,
  type CoefficientMatrix,
} from './sweep/coefficients.js';
export {
  withCheckpointRows,
  checkpointRowMatrix,
  basisOnly,
  isCheckpointRow,
  type CheckpointRowSpec,
  type CheckpointRow,
} from './sweep/checkpoint_rows.js';
export { runSweep, type SweepSpec, type SweepOptions, type SweepProgress, type ShareOptions } from './sweep/runner.js';
export { reduceSweeps, type ReduceOptions } from './sweep/reduce.js';
export { readPartial, type SweepPartial, type SweepIdentity } from './sweep/partial.js';
export { parseShard, sampleRange, rowRange, type ShardSpec, type Range } from './sweep/shard.js';
export { registerAccumulator, type Mergeable } from './metrics/accumulator.js';
export type { DataSpec } from './sweep/prepare.js';
export type * from './sweep/types.js';
export { runStitch, stitchEvaluate, type StitchSpec, type StitchInput, type StitchOptions } from './sweep/stitch.js';
export { resultsToCsv } from './sweep/csv.js';
export type { TaskMetrics } from './metrics/task.js';
export { mergeCheckpoint, type MergeOptions, type MergeSummary, type MergeProgress } from './merge/merge.js';
export { renderReport, type ReportEntry, type ReportOptions } from './report/index.js';
export { merge, type MergeRunOptions, type MergeRunProgress, type MergeResult } from './merge/run.js';
export { finishMerge, type FinishResult } from './merge/finish.js';
export { assignFiles, partsDir, type PartManifest, type MergeIdentity } from './merge/parts.js';
export { parseMergeConfig, checkConfig, type MergeConfig, type ModelEntry, type SliceDef, type SliceSource, type Parameters, type ParameterSetting } from './merge/config.js';
export { METHODS as MERGE_METHODS, type MethodName } from './merge/methods/index.js';
export { ShardedWriter, parseSize, shardLayout, type ShardedWriterOptions, type ShardFile } from './io/sharded_writer.js';
