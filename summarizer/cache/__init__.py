"""On-disk cache of model outputs, in SQLite.

store.py    Cache (get_many, put_many, get_or_compute, close): what a run uses; opening,
            migrating and recovering the file; never fails a run
lookup.py   get_or_compute's steps, Lookup, and NullCache (--no-cache)
manage.py   info, count, prune, clear: what `summarizer cache ...` does; raises CacheError
keys.py     make_key, model_matches
schema.py   the tables and their migrations
folder.py   where the cache is, CACHEDIR.TAG, damaged files set aside, size on disk
sqlite.py   connections, probes, transactions, result codes, the one retry policy
"""

from summarizer.cache.folder import CACHE_FILE, default_cache_dir
from summarizer.cache.keys import KEY_VERSION, make_key, model_matches
from summarizer.cache.lookup import Lookup, NullCache
from summarizer.cache.manage import CacheInfo, ModelUsage, PruneResult
from summarizer.cache.schema import SCHEMA_VERSION
from summarizer.cache.store import Cache
from summarizer.errors import CacheError, CacheWarning

__all__ = [
    "CACHE_FILE",
    "KEY_VERSION",
    "SCHEMA_VERSION",
    "Cache",
    "CacheError",
    "CacheInfo",
    "CacheWarning",
    "Lookup",
    "ModelUsage",
    "NullCache",
    "PruneResult",
    "default_cache_dir",
    "make_key",
    "model_matches",
]
