import { readFileSync } from 'node:fs';
const P='/work/main/node_modules/pyodide';
const { loadPyodide } = await import(P + '/pyodide.mjs');
const py = await loadPyodide({ indexURL: P + '/' });
const g = py.globals.get('dict')();
let src = readFileSync('/work/main/packages/sandbox-reward/worker/guest.py','utf8');
src += `
def prof():
    import time
    out = {}
    def t(name, f, n=50):
        s = time.perf_counter()
        for _ in range(n): f()
        out[name] = round((time.perf_counter() - s) / n * 1000, 3)
    out['changed'] = baseline.restore(); out['changed2'] = baseline.restore()
    t('restore', baseline.restore)
    import random, decimal
    t('random_seed', random.seed)
    t('decimal', lambda: decimal.setcontext(decimal.Context()))
    t('chdir', lambda: os.chdir('/home/pyodide'))
    t('pic', sys.path_importer_cache.clear)

    t('environ', lambda: dict(os.environ))
    t('scratch', clear_scratch)
    t('gc_full', gc.collect, 10)
    t('gc0', lambda: gc.collect(0))
    t('factory', lambda: exec(FACTORY_CODE, {'__builtins__': builtins}))
    t('begin', lambda: begin(json.dumps({'code': 'print(1)', 'outputBytes': 100})))
    out['modules'] = len(baseline.module_dicts)
    out['entries'] = sum(len(e[1]) for e in baseline.module_dicts)
    return json.dumps(out)
`;
try { py.runPython(src, { globals: g, filename: '<molrl-sandbox>' }); } catch (e) { console.log(String(e.message).slice(-1500)); process.exit(1); }
try { console.log(g.get('prof')()); } catch (e) { console.log('ERR', String(e.message).slice(-1500)); }
