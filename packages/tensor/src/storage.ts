import type { Backend, DType, Storage } from '@molrl/gpu-backend';

/**
 * A reference-counted backend storage. Several tensors share one storage
 * (reshape views, tensors saved for backward); the storage goes back to the
 * backend when the last of them lets go. The backend itself only allocates
 * and releases.
 */
export class StorageRef {
  refs = 1;
  constructor(
    readonly storage: Storage,
    readonly backend: Backend,
  ) {}

  get dtype(): DType {
    return this.storage.dtype;
  }

  get released(): boolean {
    return this.refs <= 0;
  }

  retain(): this {
    this.refs++;
    return this;
  }

  release(): void {
    if (this.refs <= 0) return;
    if (--this.refs === 0) this.backend.release(this.storage);
  }
}
