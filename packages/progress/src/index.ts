export { formatDuration, startProgress, type Progress, type ProgressOptions, type ProgressStream } from './progress.js';
export {
  MetricsWriter,
  readMetrics,
  truncateMetrics,
  truncateMetricsFile,
  type MetricRecord,
  type MetricValue,
} from './metrics.js';
export {
  writeFileAtomic,
  writeFileAtomicSync,
  writeAtomically,
  temporaryPath,
  removeStaleTemporaries,
  isProcessAlive,
} from './atomic.js';
export { PROGRESS_MODES, isProgressMode, type ProgressMode } from './mode.js';
