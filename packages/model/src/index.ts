export * from './safetensors/dtypes.js';
export * from './safetensors/reader.js';
export * from './safetensors/writer.js';
export * from './safetensors/checkpoint.js';
export * from './config.js';
export * from './hub.js';
export * from './sampling/prng.js';
export * from './sampling/samplers.js';
