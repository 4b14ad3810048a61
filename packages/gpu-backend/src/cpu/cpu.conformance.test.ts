import { describeConformance } from '../conformance/vitest.js';

// The reference against itself: checks the suite's own machinery (every kernel
// has cases, shapes/dtypes agree, no storage leaks, shape errors name the kernel).
describeConformance('cpu');
