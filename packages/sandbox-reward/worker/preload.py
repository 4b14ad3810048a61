# Modules imported before the sandbox guards go up (and before the host takes
# its memory snapshot): the usual imports of model-written code are then free,
# and their state is covered by the reset between runs.
for _name in (
    'math', 'cmath', 're', 'json', 'itertools', 'functools', 'collections',
    'fractions', 'decimal', 'statistics', 'random', 'datetime', 'string', 'heapq',
    'bisect', 'typing', 'dataclasses', 'operator', 'copy', 'numbers', 'traceback',
    'linecache', 'textwrap', 'time', 'io', 'enum', 'array', 'struct', 'hashlib',
    'base64', 'calendar', 'asyncio',
):
    try:
        __import__(_name)
    except ImportError:
        pass
del _name
