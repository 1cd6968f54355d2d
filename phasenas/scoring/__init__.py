"""Zero-shot proxies and the scoring queue that runs them off the event loop.

>>> from phasenas.scoring import ScoringQueue
>>> async with ScoringQueue(space="macro", proxy="naswot", cache_dir="cache") as queue:  # doctest: +SKIP
...     result = await queue.score("22212220")
"""

from phasenas.scoring.cache import CacheKey, ScoreCache
from phasenas.scoring.ensemble import ENSEMBLE, EnsembleRanker
from phasenas.scoring.pipeline import SpaceRef, score_text
from phasenas.scoring.queue import DEFAULT_ENSEMBLE, ScoringQueue, default_cache_dir
from phasenas.scoring.registry import Proxy, ProxyInput, UnknownProxy, get_proxy, list_proxies, register_proxy
from phasenas.scoring.results import Failure, Outcome, ScoreResult
from phasenas.scoring.settings import ScoreSettings

__all__ = ["DEFAULT_ENSEMBLE", "ENSEMBLE", "CacheKey", "EnsembleRanker", "Failure", "Outcome", "Proxy", "ProxyInput",
           "ScoreCache", "ScoreResult", "ScoreSettings", "ScoringQueue", "SpaceRef", "UnknownProxy",
           "default_cache_dir", "get_proxy", "list_proxies", "register_proxy", "score_text"]
