export * from './advantages.js';
export * from './loss.js';
