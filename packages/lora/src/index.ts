export * from './config.js';
export { LoraLinear, type AdapterState } from './lora-linear.js';
export * from './lora.js';
