/**
 * Bind groups kept for reuse. A decoding step (or a training step) runs the
 * same kernels over the same pooled buffers (the pool hands them out in a
 * fixed order) at the same uniform slots (a submission's n-th dispatch has
 * slot n, and each step begins a submission after its read) as the step
 * before, and making a bind group is the costliest call of a dispatch on the
 * host (~20 us on lavapipe, against ~1 us for each of the others). Keyed by
 * the pipeline, the uniform slot and the identity of each bound buffer. A
 * buffer the pool has destroyed is never bound again, so an entry naming one
 * can no longer be hit; the least recently used entries go past `capacity`.
 */
export class BindGroupCache {
  private readonly groups = new Map<string, GPUBindGroup>();
  private readonly ids = new WeakMap<GPUBuffer, number>();
  private nextId = 0;
  hits = 0;
  misses = 0;

  constructor(readonly capacity = 8192) {}

  /**
   * The bind group of `pipelineId` at uniform slot `slot` (-1: no uniforms) over
   * `buffers`, made by `make` on a miss.
   */
  get(pipelineId: number, slot: number, buffers: readonly GPUBuffer[], make: () => GPUBindGroup): GPUBindGroup {
    let key = `${pipelineId}@${slot}`;
    for (const buffer of buffers) key += ',' + this.idOf(buffer);
    const found = this.groups.get(key);
    if (found) {
      this.hits++;
      // Most recently used last: eviction takes from the front.
      this.groups.delete(key);
      this.groups.set(key, found);
      return found;
    }
    this.misses++;
    const group = make();
    this.groups.set(key, group);
    if (this.groups.size > this.capacity) this.groups.delete(this.groups.keys().next().value!);
    return group;
  }

  get size(): number {
    return this.groups.size;
  }

  clear(): void {
    this.groups.clear();
  }

  private idOf(buffer: GPUBuffer): number {
    let id = this.ids.get(buffer);
    if (id === undefined) this.ids.set(buffer, (id = this.nextId++));
    return id;
  }
}
