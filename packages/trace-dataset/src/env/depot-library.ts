/**
 * `depot`: the environment's small domain library (a warehouse and shipping
 * API), installed as a Python module in every sandbox run of the tasks that
 * use it. Its current API differs from the older one that the one-step
 * prompt's world (and the default model's pretraining corpus) knows: an
 * argument order, a renamed function, upper-case keys, a record where a number
 * was, a keyword-only argument. What is current is stated only by the
 * library's own answers at run time: its validation errors name the right
 * call, its records print their fields. So the knowledge reaches a model only
 * through execution feedback (docs/environment.md).
 *
 * The TypeScript functions here compute the same values as the Python module,
 * for ground truth independent of the sandbox (a test runs both).
 */
import { mapSandbox, type RunRecord, type RunRequest, type Sandbox } from '@molrl/sandbox-reward';

export const DEPOT_MODULE = 'depot';

export const DEPOT_ZONES = ['A', 'B', 'C', 'D'] as const;
const ZONE_BASE: Record<string, number> = { A: 3, B: 5, C: 8, D: 12 };
const ZONE_STEP: Record<string, number> = { A: 1, B: 2, C: 2, D: 3 };
export const DEPOT_REGIONS = ['north', 'south', 'east', 'west'] as const;
const VAT_PERCENT: Record<string, number> = { north: 20, south: 7, east: 12, west: 16 };

/** The module's Python source (the current API). Its errors state the right call. */
export const DEPOT_PYTHON_SOURCE = `"""depot: warehouse and shipping helpers."""

_BASE = {'A': 3, 'B': 5, 'C': 8, 'D': 12}
_STEP = {'A': 1, 'B': 2, 'C': 2, 'D': 3}
_VAT = {'north': 20, 'south': 7, 'east': 12, 'west': 16}


def rate(zone, grams):
    if not isinstance(zone, str) or zone not in _BASE:
        raise TypeError(f"depot.rate(zone, grams): the zone comes first, one of 'A', 'B', 'C', 'D'; got {zone!r}")
    if not isinstance(grams, int) or grams <= 0:
        raise TypeError(f'depot.rate(zone, grams): grams must be a positive int, got {grams!r}')
    return _BASE[zone] + _STEP[zone] * -(-grams // 250)


def stock(item):
    if not isinstance(item, str) or not item:
        raise TypeError(f'depot.stock(item): item must be a product name, got {item!r}')
    return sum((i + 1) * ord(c) for i, c in enumerate(item)) % 90 + 10


def code(city):
    if not isinstance(city, str) or not city:
        raise TypeError(f'depot.code(city): city must be a name, got {city!r}')
    if city != city.upper():
        raise ValueError(f'depot.code takes upper-case names: depot.code(city.upper()); got {city!r}')
    return sum((i + 3) * ord(c) for i, c in enumerate(city)) % 900 + 100


def find(item):
    if not isinstance(item, str) or not item:
        raise TypeError(f'depot.find(item): item must be a product name, got {item!r}')
    return {'aisle': sum(ord(c) for c in item) % 12 + 1, 'shelf': (7 * len(item) + ord(item[0])) % 5 + 1}


def vat(amount, *args, region=None):
    if args:
        raise TypeError('depot.vat() takes the region as a keyword: depot.vat(amount, region=region)')
    if region not in _VAT:
        raise ValueError(f"depot.vat(amount, region=region): region is one of 'north', 'south', 'east', 'west'; got {region!r}")
    if not isinstance(amount, int) or amount < 0:
        raise TypeError(f'depot.vat(amount, region=region): amount must be an int, got {amount!r}')
    return amount * _VAT[region] // 100


def __getattr__(name):
    if name == 'count':
        raise AttributeError('depot.count was renamed: use depot.stock(item)')
    raise AttributeError(f"module 'depot' has no attribute {name!r}")
`;

/**
 * One Python line that installs the module for the rest of the run and binds
 * it as the global `depot`, as an agent framework makes its tools available
 * (`import depot` works too). Its code is compiled under the file name
 * `<depot>`, so tracebacks and error lines point at the caller's code, not
 * into the library. The sandbox resets `sys.modules` and the globals after
 * every run, so each run carries it.
 */
export const DEPOT_PREAMBLE = `depot = __import__('sys').modules[${JSON.stringify(DEPOT_MODULE)}] = (lambda m: (exec(compile(${JSON.stringify(DEPOT_PYTHON_SOURCE)}, '<depot>', 'exec'), m.__dict__), m)[1])(__import__('types').ModuleType(${JSON.stringify(DEPOT_MODULE)}))\n`;
const PREAMBLE_LINES = 1;

function shiftRecord(record: RunRecord): RunRecord {
  if (!record.error || record.error.line === undefined) return record;
  const line = record.error.line - PREAMBLE_LINES;
  const error = { ...record.error };
  if (line >= 1) error.line = line;
  else delete error.line;
  return { ...record, error };
}

function withPreamble(request: RunRequest): RunRequest {
  if (request.language !== 'python') return request;
  if (typeof request.code !== 'string') return request; // the sandbox reports the bad request
  return { ...request, code: DEPOT_PREAMBLE + request.code };
}

/**
 * A sandbox whose Python runs can `import depot`: each run's code goes in
 * after the one-line preamble and error lines are given back in the caller's
 * numbering. Everything else (limits, workers, close) is the wrapped
 * sandbox's (`mapSandbox`); closing this one closes it.
 */
export function withDepotLibrary(sandbox: Sandbox): Sandbox {
  return mapSandbox(sandbox, { request: withPreamble, record: shiftRecord });
}

/** Python's `-(-a // b)`. */
const ceilDiv = (a: number, b: number) => Math.ceil(a / b);

/** The library's values, computed in TypeScript (ground truth). */
export const depot = {
  rate(zone: string, grams: number): number {
    const base = ZONE_BASE[zone];
    if (base === undefined) throw new RangeError(`depot.rate: unknown zone ${JSON.stringify(zone)}`);
    return base + ZONE_STEP[zone]! * ceilDiv(grams, 250);
  },
  stock(item: string): number {
    let s = 0;
    for (let i = 0; i < item.length; i++) s += (i + 1) * item.charCodeAt(i);
    return (s % 90) + 10;
  },
  code(city: string): number {
    let s = 0;
    for (let i = 0; i < city.length; i++) s += (i + 3) * city.charCodeAt(i);
    return (s % 900) + 100;
  },
  find(item: string): { aisle: number; shelf: number } {
    let s = 0;
    for (let i = 0; i < item.length; i++) s += item.charCodeAt(i);
    return { aisle: (s % 12) + 1, shelf: ((7 * item.length + item.charCodeAt(0)) % 5) + 1 };
  },
  vat(amount: number, region: string): number {
    const p = VAT_PERCENT[region];
    if (p === undefined) throw new RangeError(`depot.vat: unknown region ${JSON.stringify(region)}`);
    return Math.floor((amount * p) / 100);
  },
};
