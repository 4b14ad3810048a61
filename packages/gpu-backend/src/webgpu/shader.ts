/**
 * WGSL from templates. A template turns a few parameters (a rank, a tile
 * size, whether there are segment ids, an op name) into WGSL and the layout
 * of its uniforms; those parameters, and only they, decide the source. So the
 * backend caches pipelines by the template's name and its parameters, and
 * builds a shader's source only the first time a key is seen.
 */

export type UniformType = 'u32' | 'i32' | 'f32';

/** Uniform fields in declaration order; WGSL reads them as `u.<name>`. All are 4-byte scalars. */
export type UniformLayout = readonly (readonly [name: string, type: UniformType])[];

/** What a template is parameterised by: JSON-like values. */
export type ShaderParam =
  string | number | boolean | null | undefined | readonly ShaderParam[] | { readonly [key: string]: ShaderParam };

export type ShaderParams = { readonly [key: string]: ShaderParam };

export interface ShaderSource {
  /** The WGSL of the entry point `main` and what it needs; the uniform struct and the shared helpers are prepended. */
  code: string;
  uniforms?: UniformLayout;
}

export interface ShaderTemplate<P extends ShaderParams> {
  /** Unique among templates: the first part of every pipeline-cache key. */
  readonly name: string;
  build(params: P): ShaderSource;
}

const templateNames = new Set<string>();

/** Declare a template; two templates with one name would share pipelines, so a second is an error. */
export function shaderTemplate<P extends ShaderParams>(
  name: string,
  build: (params: P) => ShaderSource,
): ShaderTemplate<P> {
  if (templateNames.has(name)) throw new Error(`shaderTemplate: a template named '${name}' already exists`);
  templateNames.add(name);
  return { name, build };
}

/** The pipeline-cache key of a template at some parameters: its name and the parameters, canonically written. */
export function shaderKey(template: ShaderTemplate<ShaderParams>, params: ShaderParams): string {
  return `${template.name}${canonical(params)}`;
}

/** JSON with object keys sorted, so equal parameters give equal keys whatever order they were written in. */
function canonical(value: ShaderParam): string {
  if (value === undefined) return 'null';
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  const record = value as { readonly [key: string]: ShaderParam };
  const keys = Object.keys(record).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical(record[k])}`).join(',')}}`;
}

/** The WGSL declaring the uniforms of a layout at binding 0. */
export function uniformStruct(layout: UniformLayout): string {
  if (layout.length === 0) return '';
  const fields = layout.map(([name, type]) => `  ${name}: ${type},`);
  return `struct Params {\n${fields.join('\n')}\n}\n@group(0) @binding(0) var<uniform> u: Params;\n`;
}
