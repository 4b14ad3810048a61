// The bytes of the pristine heap, and putting them back.
//
// After a run whose every write was tracked (dirty-pages.mjs), only the pages
// it marked are written back (usually well under a megabyte), plus the first
// bytes of the page after each, which a store starting at the end of a marked
// page can reach. After any other run, or when the dirty map itself was
// written (tampering), every 64 KiB block of the heap is compared with the
// snapshot (a native memcmp) and those that differ are written back: reading
// is cheaper than writing. Either way every byte ends equal to the snapshot,
// and memory grown since is zero.
import { Buffer } from 'node:buffer';
import { MAX_STORE_BYTES, PAGE_SHIFT, PAGE_SIZE } from './write-tracking.mjs';

const BLOCK = 65536;

export class HeapImage {
  /**
   * Copies the heap now.
   * @param heap returns the current Uint8Array view of the memory.
   * @param tracker the PageTracker (null: every restore is whole).
   */
  constructor(heap, tracker = null) {
    this.heap = heap;
    this.tracker = tracker;
    this.bytes = heap().slice();
    this.saved = Buffer.from(this.bytes.buffer, this.bytes.byteOffset, this.bytes.length);
    this.zeroBlock = Buffer.alloc(BLOCK);
    this.zeroBlocks = [];
    for (let start = 0; start < this.bytes.length; start += BLOCK) {
      const end = Math.min(start + BLOCK, this.bytes.length);
      this.zeroBlocks.push(this.saved.subarray(start, end).equals(this.zeroBlock.subarray(0, end - start)));
    }
    /** How the last restore went: 'pages' or 'whole', and how many 4 KiB pages it wrote. */
    this.last = { mode: 'none', pages: 0 };
  }

  get size() {
    return this.bytes.length;
  }

  /** Put every byte back; `tracked`: the run's writes are all in the dirty map. */
  restore(tracked) {
    const heap = this.heap();
    if (!(tracked && this.tracker && this.restoreMarkedPages(heap))) this.restoreWhole(heap);
  }

  /**
   * Write back the pages the run marked (and the first bytes of the page after
   * each, which a store starting at its end can reach), then clear the marks.
   * Returns false, touching nothing, when the map itself was written (tampered).
   */
  restoreMarkedPages(heap) {
    const tracker = this.tracker;
    const base = tracker.base;
    for (let page = tracker.guardStart; page <= tracker.guardEnd; page++) {
      if (heap[base + page]) return false;
    }
    const pages = Math.ceil(heap.length / PAGE_SIZE);
    const words = new BigUint64Array(heap.buffer, base, Math.ceil(pages / 8));
    const size = this.bytes.length;
    let written = 0;
    for (let w = 0; w < words.length; w++) {
      if (words[w] === 0n) continue;
      for (let page = w * 8; page < w * 8 + 8 && page < pages; page++) {
        if (!heap[base + page]) continue;
        const start = page << PAGE_SHIFT;
        this.restoreRange(heap, start, Math.min(start + PAGE_SIZE + MAX_STORE_BYTES, heap.length), size);
        written++;
      }
    }
    heap.fill(0, base, base + pages);
    this.last = { mode: 'pages', pages: written };
    return true;
  }

  restoreRange(heap, start, end, size) {
    if (start < size) heap.set(this.bytes.subarray(start, Math.min(end, size)), start);
    if (end > size) heap.fill(0, Math.max(start, size), end);
  }

  /** Compare every block of the heap with the snapshot; write back those that differ. */
  restoreWhole(heap) {
    const size = this.bytes.length;
    const current = Buffer.from(heap.buffer, 0, size);
    let written = 0;
    for (let start = 0, block = 0; start < size; start += BLOCK, block++) {
      const end = Math.min(start + BLOCK, size);
      const now = current.subarray(start, end);
      if (this.zeroBlocks[block]) {
        if (!now.equals(this.zeroBlock.subarray(0, end - start))) {
          heap.fill(0, start, end);
          written++;
        }
      } else {
        const saved = this.saved.subarray(start, end);
        if (!now.equals(saved)) {
          heap.set(saved, start);
          written++;
        }
      }
    }
    // Memory a run grew stays (WebAssembly memories do not shrink); zeroed.
    if (heap.length > size) heap.fill(0, size);
    this.last = { mode: 'whole', pages: written * (BLOCK / PAGE_SIZE) };
  }

  /** Whether every byte of the heap equals the snapshot (and memory grown since is zero). */
  matches() {
    const heap = this.heap();
    const size = this.bytes.length;
    if (!Buffer.from(heap.buffer, 0, size).equals(this.saved)) return false;
    for (let i = size; i < heap.length; i++) if (heap[i]) return false;
    return true;
  }
}
