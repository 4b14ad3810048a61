/**
 * Task kinds that use the `depot` library. Each carries the correct `solve`
 * (the library's current API) and `stale`: the same function written against
 * the older API, which is what the environment's agent writes first. Running the stale code shows the difference: an error
 * whose message states the current call, or a printed record. `knowledge` is
 * that fact in words and a pattern that finds it in text, so tests can check
 * that no prompt or pretraining text carries it.
 */
import type { Rng } from '../rng.js';
import { DEPOT_REGIONS, DEPOT_ZONES, depot } from './depot-library.js';
import type { TaskKind } from './tasks.js';

const py = (s: string) => JSON.stringify(s);
const def = (...lines: string[]) => lines.join('\n');
const IMPORT = 'import depot\n\n';

const PRODUCTS = [
  'bolts',
  'nails',
  'hinges',
  'washers',
  'rivets',
  'brackets',
  'pulleys',
  'springs',
  'clamps',
  'gaskets',
  'valves',
  'pipes',
  'cables',
  'fuses',
  'levers',
  'gears',
  'chains',
  'hooks',
  'casters',
  'dowels',
  'anchors',
  'couplers',
  'shims',
  'grommets',
  'pallets',
  'crates',
  'hoses',
  'latches',
  'sockets',
  'spacers',
];
const CITIES = [
  'Oslo',
  'Lima',
  'Cairo',
  'Quito',
  'Riga',
  'Dakar',
  'Hanoi',
  'Perth',
  'Turin',
  'Kyoto',
  'Bergen',
  'Porto',
  'Tunis',
  'Minsk',
  'Accra',
  'Zagreb',
  'Lyon',
  'Malmo',
  'Nantes',
  'Basel',
  'Leeds',
  'Graz',
  'Split',
  'Gdansk',
  'Bilbao',
  'Sofia',
  'Tampere',
  'Utrecht',
  'Varna',
  'Aarhus',
];

export const DEPOT_TASK_KINDS: TaskKind[] = [
  {
    name: 'depot-postage',
    library: 'depot',
    make(rng: Rng) {
      const grams = rng.int(40, 4000);
      const zone = rng.pick(DEPOT_ZONES);
      return {
        question: `Using the depot library, what does it cost to ship a parcel of ${grams} grams to zone ${py(zone)}?`,
        answer: String(depot.rate(zone, grams)),
        args: `${grams}, ${py(zone)}`,
      };
    },
    exampleArgs: `600, ${py('B')}`,
    exampleExpected: String(depot.rate('B', 600)),
    exampleText: `600 grams to zone "B" cost ${depot.rate('B', 600)}`,
    solution: IMPORT + def('def solve(grams, zone):', '    return depot.rate(zone, grams)'),
    stale: {
      kind: 'stale-api',
      code: IMPORT + def('def solve(grams, zone):', '    return depot.rate(grams, zone)'),
      raises: 'TypeError',
      diagnosis: 'The library takes the zone first: depot.rate(zone, grams).',
    },
    mistakes: [],
    knowledge: {
      fact: 'depot.rate takes the zone first: depot.rate(zone, grams)',
      pattern: /rate\(\s*zone|zone comes first|zone first/,
    },
  },
  {
    name: 'depot-stock',
    library: 'depot',
    make(rng: Rng) {
      const item = rng.pick(PRODUCTS);
      const level = depot.stock(item);
      const shipped = rng.int(1, level - 1);
      return {
        question: `Using the depot library, how many ${item} are left in stock after ${shipped} are shipped?`,
        answer: String(level - shipped),
        args: `${py(item)}, ${shipped}`,
      };
    },
    exampleArgs: `${py('pins')}, 5`,
    exampleExpected: String(depot.stock('pins') - 5),
    exampleText: `for "pins" after 5 are shipped the answer is ${depot.stock('pins') - 5}`,
    solution: IMPORT + def('def solve(item, shipped):', '    return depot.stock(item) - shipped'),
    stale: {
      kind: 'stale-api',
      code: IMPORT + def('def solve(item, shipped):', '    return depot.count(item) - shipped'),
      raises: 'AttributeError',
      diagnosis: 'depot.count was renamed: the stock level is depot.stock(item).',
    },
    mistakes: [],
    knowledge: { fact: 'depot.count was renamed to depot.stock', pattern: /depot\.stock\b|renamed/ },
  },
  {
    name: 'depot-hub-code',
    library: 'depot',
    make(rng: Rng) {
      const city = rng.pick(CITIES);
      return {
        question: `Using the depot library, what is the hub code of ${city}?`,
        answer: String(depot.code(city.toUpperCase())),
        args: py(city),
      };
    },
    exampleArgs: py('Rome'),
    exampleExpected: String(depot.code('ROME')),
    exampleText: `the hub code of Rome is ${depot.code('ROME')}`,
    solution: IMPORT + def('def solve(city):', '    return depot.code(city.upper())'),
    stale: {
      kind: 'stale-api',
      code: IMPORT + def('def solve(city):', '    return depot.code(city)'),
      raises: 'ValueError',
      diagnosis: 'depot.code wants the name in upper case: depot.code(city.upper()).',
    },
    mistakes: [],
    knowledge: {
      fact: 'depot.code takes upper-case names: depot.code(city.upper())',
      pattern: /\.upper\(\)|upper-case|upper case/,
    },
  },
  {
    name: 'depot-aisle',
    library: 'depot',
    make(rng: Rng) {
      const item = rng.pick(PRODUCTS);
      return {
        question: `Using the depot library, in which aisle are the ${item} kept?`,
        answer: String(depot.find(item).aisle),
        args: py(item),
      };
    },
    exampleArgs: py('pins'),
    exampleExpected: String(depot.find('pins').aisle),
    exampleText: `the pins are in aisle ${depot.find('pins').aisle}`,
    solution: IMPORT + def('def solve(item):', '    return depot.find(item)["aisle"]'),
    stale: {
      kind: 'stale-api',
      code: IMPORT + def('def solve(item):', '    return depot.find(item)'),
      diagnosis: 'depot.find returns a record, not a number: the aisle is depot.find(item)["aisle"].',
    },
    mistakes: [],
    knowledge: { fact: "depot.find returns a record {'aisle': ..., 'shelf': ...}", pattern: /["']aisle["']/ },
  },
  {
    name: 'depot-vat',
    library: 'depot',
    make(rng: Rng) {
      const amount = rng.int(10, 5000);
      const region = rng.pick(DEPOT_REGIONS);
      return {
        question: `Using the depot library, how much VAT is due on ${amount} in region ${py(region)}?`,
        answer: String(depot.vat(amount, region)),
        args: `${amount}, ${py(region)}`,
      };
    },
    exampleArgs: `250, ${py('south')}`,
    exampleExpected: String(depot.vat(250, 'south')),
    exampleText: `on 250 in region "south" it is ${depot.vat(250, 'south')}`,
    solution: IMPORT + def('def solve(amount, region):', '    return depot.vat(amount, region=region)'),
    stale: {
      kind: 'stale-api',
      code: IMPORT + def('def solve(amount, region):', '    return depot.vat(amount, region)'),
      raises: 'TypeError',
      diagnosis: 'depot.vat takes the region as a keyword: depot.vat(amount, region=region).',
    },
    mistakes: [],
    knowledge: { fact: 'depot.vat takes the region as a keyword argument', pattern: /region\s*=|as a keyword/ },
  },
];
