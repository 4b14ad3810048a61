export { mulberry32, Mulberry32 } from './mulberry32.js';
export { seededPermutation } from './permutation.js';
