import type { ProgressMode } from '@molrl/progress';
import type { Sandbox } from '@molrl/sandbox-reward';

/** What every phase function (`runData`, `runMol`, `runGrpo`, `runEval`) takes after the run folder and config. */
export interface PhaseRunOptions {
  /** 'auto' (default): a bar on a terminal, plain lines otherwise; 'bar', 'lines' or 'silent' to force. */
  progress?: ProgressMode;
  /**
   * Stops the work at its next safe point, rejecting with the signal's reason. The data phase
   * has no safe points inside: it checks the signal before it writes anything.
   */
  signal?: AbortSignal;
  /**
   * A running environment sandbox (`createEnvironmentSandbox`) for the grpo and eval phases
   * to score completions in; the caller closes it. Without it the phase makes and closes its own.
   */
  sandbox?: Sandbox;
}
