export {
  molLoss,
  DEFAULT_ROW_CHUNK,
  DEFAULT_VOCAB_CHUNK,
  type MolLossOptions,
  type MolLossResult,
  type MolLossChunking,
} from './mol-loss.js';
export { fusedMolLoss, type FusedMolLossOptions } from './fused-mol-loss.js';
export {
  planRows,
  TOKEN_LABELS,
  type TokenLabel,
  type MolMode,
  type Normalization,
  type LossCounts,
  type RowPlan,
  type RowPlanOptions,
} from './row-plan.js';
