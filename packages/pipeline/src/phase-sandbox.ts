/**
 * One environment sandbox for the grpo and eval phases of a run (or of every
 * run of an ablation), made once and closed once. Each phase alone makes its
 * own and waits for its Python workers to load when its first completion is
 * scored (~3 s of the GRPO phase on two cores); a shared one is started ahead,
 * while the MoL phase trains, and loads there. Every run in the sandbox starts
 * from the pristine interpreter, so sharing it changes no result.
 */
import type { Sandbox } from '@molrl/sandbox-reward';
import { createEnvironmentSandbox, PHASE_SANDBOX_OPTIONS } from './env-text.js';

export class PhaseSandbox {
  #sandbox: Promise<Sandbox> | null = null;

  /** The sandbox, made (and its workers started loading) on the first call. */
  get(): Promise<Sandbox> {
    this.#sandbox ??= createEnvironmentSandbox(PHASE_SANDBOX_OPTIONS);
    return this.#sandbox;
  }

  /** Close the sandbox if one was made; a later `get` makes a new one. */
  async close(): Promise<void> {
    const made = this.#sandbox;
    this.#sandbox = null;
    if (made) await (await made).close();
  }
}
