"""The distributed job store: a Redis hash per job plus sorted sets for listing.

Keys (``p`` = ``GSL_REDIS_PREFIX``, default ``gsl:``)::

    p job:<id>              hash: the job row (see ``store.job_to_row``)
    p inputs:<id>           msgpack of the inputs of an async job
    p body:<key>            hash: ``body`` (a result as computed, stored once per
                            content address) and ``refs`` (jobs referencing it)
    p result:<id>           a result stored per job by an older version (read only)
    p jobs:created          zset of every job id, score = created (POSIX s)
    p jobs:status:<status>  zset per status, score = created
    p jobs:process:<id>     zset per process, score = created
    p jobs:finished         zset of finished jobs, score = finished (for retention)

A status change is one Lua script (compare-and-set on the status, then the hash and
the status sets), so concurrent API processes, workers and the reconciler never
overwrite each other's final states. Every write is O(log n) in the number of jobs.

A job references its result by the field ``result_key`` of its hash. Attaching
(``_ATTACH``) and detaching (``_DETACH``) a reference are Lua scripts that keep
``refs`` exact (the job hash's ``result_key`` makes them idempotent) and delete a
body with its last reference; attaching without the bytes fails when no body is
stored, and the caller sends them — so a hit sends no result bytes to Redis.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import orjson
import redis

from gsl_indicators.core.canonical import digest_bytes
from gsl_service.cache import as_hit, as_miss
from gsl_service.errors import NoSuchJob
from gsl_service.jobs.model import JobFilter, JobInfo, JobStatus, sources_of
from gsl_service.jobs.store import (
    MUTABLE_FIELDS,
    JobStore,
    job_to_row,
    now,
    result_address,
    row_to_job,
)

if TYPE_CHECKING:
    from gsl_service.settings import Settings

# KEYS: job hash, status-set prefix, finished zset
# ARGV: job id, new status, now, allowed-sources (comma list), extra json ('' = none),
#       then field/value pairs
_TRANSITION = """
local cur = redis.call('HMGET', KEYS[1], 'status', 'created', 'started', 'extra')
if not cur[1] then return -1 end
local allowed = false
for s in string.gmatch(ARGV[4], '[^,]+') do if s == cur[1] then allowed = true end end
if not allowed then return 0 end
local new = ARGV[2]
local t = ARGV[3]
redis.call('HSET', KEYS[1], 'status', new, 'updated', t)
if new == 'running' and (not cur[3] or cur[3] == '') then
  redis.call('HSET', KEYS[1], 'started', t)
end
if new == 'accepted' then
  redis.call('HSET', KEYS[1], 'started', '', 'finished', '', 'progress', '0')
end
local final = (new == 'successful' or new == 'failed' or new == 'dismissed')
if final and cur[1] == new then
  -- a note on a finished job (e.g. a Tygron write-back): it keeps its finished time
elseif final then
  redis.call('HSET', KEYS[1], 'finished', t)
  redis.call('ZADD', KEYS[3], t, ARGV[1])
else
  redis.call('ZREM', KEYS[3], ARGV[1])
end
if new == 'successful' then redis.call('HSET', KEYS[1], 'progress', '100') end
if ARGV[5] ~= '' then
  local merged = {}
  if cur[4] and cur[4] ~= '' then merged = cjson.decode(cur[4]) end
  for k, v in pairs(cjson.decode(ARGV[5])) do merged[k] = v end
  if next(merged) == nil then
    redis.call('HSET', KEYS[1], 'extra', '{}')
  else
    redis.call('HSET', KEYS[1], 'extra', cjson.encode(merged))
  end
end
for i = 6, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
if cur[1] ~= new then
  redis.call('ZREM', KEYS[2] .. cur[1], ARGV[1])
  redis.call('ZADD', KEYS[2] .. new, cur[2], ARGV[1])
end
return 1
"""

# KEYS: job hash, body hash, body-key prefix ; ARGV: key, [body]
# -> 1 attached, 0 no body stored under key (and none given), -1 no such job
_ATTACH = """
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
local old = redis.call('HGET', KEYS[1], 'result_key')
if old == ARGV[1] then return 1 end
if redis.call('EXISTS', KEYS[2]) == 0 then
  if #ARGV < 2 then return 0 end
  redis.call('HSET', KEYS[2], 'body', ARGV[2], 'refs', 0)
end
redis.call('HINCRBY', KEYS[2], 'refs', 1)
redis.call('HSET', KEYS[1], 'result_key', ARGV[1])
if old and old ~= '' then
  if redis.call('HINCRBY', KEYS[3] .. old, 'refs', -1) <= 0 then redis.call('DEL', KEYS[3] .. old) end
end
return 1
"""

# KEYS: job hash, body-key prefix -> 1 when a reference was dropped
_DETACH = """
local old = redis.call('HGET', KEYS[1], 'result_key')
if not old or old == '' then return 0 end
redis.call('HSET', KEYS[1], 'result_key', '')
if redis.call('HINCRBY', KEYS[2] .. old, 'refs', -1) <= 0 then redis.call('DEL', KEYS[2] .. old) end
return 1
"""

# KEYS: job hash, body-key prefix, legacy result key -> {body, key, cache_hit} or {}
_GET_RESULT = """
local cur = redis.call('HMGET', KEYS[1], 'result_key', 'cache_hit')
if cur[1] and cur[1] ~= '' then
  local body = redis.call('HGET', KEYS[2] .. cur[1], 'body')
  if body then return {body, cur[1], cur[2] or '0'} end
  return {}
end
local legacy = redis.call('GET', KEYS[3])
if legacy then return {legacy, '', '0'} end
return {}
"""

# KEYS: job hash ; ARGV: progress, message, now
_PROGRESS = """
if redis.call('HGET', KEYS[1], 'status') ~= 'running' then return 0 end
redis.call('HSET', KEYS[1], 'progress', ARGV[1], 'message', ARGV[2], 'updated', ARGV[3])
return 1
"""


def _encode(value: Any) -> str | bytes | int | float:
    return "" if value is None else value


class RedisJobStore(JobStore):
    """Job store in Redis.

    Parameters
    ----------
    client : redis.Redis
        A client (bytes responses, i.e. ``decode_responses=False``).
    prefix : str
        Prefix of every key.
    """

    def __init__(
        self, client: redis.Redis, prefix: str = "gsl:", blob_ttl_s: float = 14 * 24 * 3600.0
    ) -> None:
        self.r: Any = client
        self.p = prefix
        self.blob_ttl_s = max(1, int(blob_ttl_s))
        self._transition = self.r.register_script(_TRANSITION)
        self._progress = self.r.register_script(_PROGRESS)
        self._attach = self.r.register_script(_ATTACH)
        self._detach = self.r.register_script(_DETACH)
        self._get_result = self.r.register_script(_GET_RESULT)

    @classmethod
    def from_settings(cls, settings: Settings) -> RedisJobStore:
        """Return a store on ``settings.redis_url`` with ``settings.redis_prefix``."""
        assert settings.redis_url
        from gsl_service.redis_client import api_client

        return cls(
            api_client(settings.redis_url, settings.redis_timeout_s),
            settings.redis_prefix,
            blob_ttl_s=settings.blob_ttl_s,
        )

    def close(self) -> None:
        """Close the connection pool."""
        self.r.close()

    def _k(self, *parts: str) -> str:
        return self.p + ":".join(parts)

    # -- jobs ------------------------------------------------------------------------
    def _write_job(self, pipe: Any, job: JobInfo) -> None:
        row = job_to_row(job)
        created = row["created"]
        pipe.hset(self._k("job", job.job_id), mapping={k: _encode(v) for k, v in row.items()})
        pipe.zadd(self._k("jobs", "created"), {job.job_id: created})
        pipe.zadd(self._k("jobs", "status", job.status.value), {job.job_id: created})
        pipe.zadd(self._k("jobs", "process", job.process_id), {job.job_id: created})
        if job.owner:  # the API key id that created it: its own job list
            pipe.zadd(self._k("jobs", "owner", job.owner), {job.job_id: created})
        if job.finished is not None:
            pipe.zadd(self._k("jobs", "finished"), {job.job_id: row["finished"]})

    def _attach_keys(self, job_id: str, key: str) -> list[str]:
        return [self._k("job", job_id), self._k("body", key), self._k("body", "")]

    def create(
        self, job: JobInfo, inputs: bytes | None = None, result: bytes | None = None
    ) -> None:
        """Insert a job (and its inputs / result reference) atomically."""
        self._create([(job, result)], inputs)

    def create_many(self, entries: Sequence[tuple[JobInfo, bytes | None]]) -> None:
        """Insert jobs and attach their results in one MULTI/EXEC."""
        if entries:
            self._create(entries, None)

    def _create(
        self, entries: Sequence[tuple[JobInfo, bytes | None]], inputs: bytes | None
    ) -> None:
        """Write jobs and their references in one transaction.

        The bytes of a result go along only when the job computed it (``cache_hit``
        false: most likely not stored yet); a hit sends its key alone. A reference
        that found no body (purged meanwhile) is attached again with the bytes.
        """
        attach: list[tuple[int, JobInfo, bytes, str]] = []
        with self.r.pipeline(transaction=True) as pipe:
            for job, result in entries:
                self._write_job(pipe, job)
                if result is not None:
                    key = result_address(job, result)
                    args: list[str | bytes] = [key]
                    if not job.cache_hit:
                        args.append(as_miss(result, key))
                    attach.append((len(pipe), job, result, key))
                    self._attach(keys=self._attach_keys(job.job_id, key), args=args, client=pipe)
            if inputs is not None:
                pipe.set(self._k("inputs", entries[0][0].job_id), inputs)
            done = pipe.execute()
        for at, job, body, key in attach:
            if done[at] == 0:
                self._attach(
                    keys=self._attach_keys(job.job_id, key), args=[key, as_miss(body, key)]
                )

    def get(self, job_id: str) -> JobInfo:
        """Return the job (raises NoSuchJob)."""
        row = self.r.hgetall(self._k("job", job_id))
        if not row:
            raise NoSuchJob(f"no job with id '{job_id}'")
        return row_to_job({k.decode(): v for k, v in row.items()})

    def transition(
        self,
        job_id: str,
        status: JobStatus,
        *,
        sources: Iterable[JobStatus] | None = None,
        **fields: Any,
    ) -> JobInfo | None:
        """Compare-and-set the job's status (see :meth:`JobStore.transition`)."""
        allowed = ",".join(s.value for s in (sources_of(status) if sources is None else sources))
        extra = ""
        pairs: list[Any] = []
        for key, value in fields.items():
            if key not in MUTABLE_FIELDS:
                raise ValueError(f"cannot set job field {key!r}")
            if key == "extra":
                extra = orjson.dumps(value or {}).decode()
            elif key == "error":
                pairs += [key, "" if value is None else orjson.dumps(value)]
            elif key == "cache_hit":
                pairs += [key, 1 if value else 0]
            else:
                pairs += [key, _encode(value)]
        res = self._transition(
            keys=[
                self._k("job", job_id),
                self._k("jobs", "status", ""),
                self._k("jobs", "finished"),
            ],
            args=[job_id, status.value, repr(now().timestamp()), allowed, extra, *pairs],
        )
        if res == -1:
            raise NoSuchJob(f"no job with id '{job_id}'")
        if res == 0:
            return None
        return self.get(job_id)

    def set_progress(self, job_id: str, progress: int, message: str) -> bool:
        """Record progress while the job is running."""
        res = self._progress(
            keys=[self._k("job", job_id)],
            args=[int(progress), message, repr(now().timestamp())],
        )
        return bool(res)

    def _fetch(self, ids: list[bytes | str]) -> list[JobInfo]:
        with self.r.pipeline(transaction=False) as pipe:
            for i in ids:
                pipe.hgetall(self._k("job", i.decode() if isinstance(i, bytes) else i))
            rows = pipe.execute()
        return [row_to_job({k.decode(): v for k, v in row.items()}) for row in rows if row]

    def _candidates(self, flt: JobFilter) -> tuple[str, list[str]]:
        """Return the zset holding the candidates (maybe a temporary one) and temp keys."""
        temps: list[str] = []
        sets: list[str] = []
        for name, values in (
            ("owner", [flt.owner] if flt.owner is not None else None),
            ("process", flt.process_ids),
            ("status", [JobStatus(s).value for s in flt.statuses] if flt.statuses else None),
        ):
            if not values:
                continue
            keys = [self._k("jobs", name, v) for v in values]
            if len(keys) == 1:
                sets.append(keys[0])
            else:
                tmp = self._k("tmp", uuid.uuid4().hex)
                self.r.zunionstore(tmp, keys, aggregate="MAX")
                self.r.expire(tmp, 30)
                temps.append(tmp)
                sets.append(tmp)
        if not sets:
            return self._k("jobs", "created"), temps
        if len(sets) == 1:
            return sets[0], temps
        tmp = self._k("tmp", uuid.uuid4().hex)
        self.r.zinterstore(tmp, sets, aggregate="MAX")
        self.r.expire(tmp, 30)
        temps.append(tmp)
        return tmp, temps

    def list_jobs(self, flt: JobFilter) -> tuple[list[JobInfo], int]:
        """Return a page of matching jobs (newest first) and their total number."""
        key, temps = self._candidates(flt)
        lo: float | str = "-inf" if flt.created_after is None else flt.created_after.timestamp()
        hi: float | str = "+inf" if flt.created_before is None else flt.created_before.timestamp()
        try:
            if flt.min_duration_s is None and flt.max_duration_s is None:
                total = int(self.r.zcount(key, lo, hi))
                ids = self.r.zrevrangebyscore(
                    key, hi, lo, start=max(0, flt.offset), num=max(0, flt.limit)
                )
                return (self._fetch(ids) if flt.limit > 0 else []), total
            matched: list[JobInfo] = []
            ids = self.r.zrevrangebyscore(key, hi, lo)
            t = now()
            for start in range(0, len(ids), 500):
                for job in self._fetch(ids[start : start + 500]):
                    if job.started is None:
                        continue
                    d = ((job.finished or t) - job.started).total_seconds()
                    if flt.min_duration_s is not None and d < flt.min_duration_s:
                        continue
                    if flt.max_duration_s is not None and d > flt.max_duration_s:
                        continue
                    matched.append(job)
            page = matched[max(0, flt.offset) : max(0, flt.offset) + max(0, flt.limit)]
            return page, len(matched)
        finally:
            if temps:
                self.r.delete(*temps)

    def unfinished(self) -> list[JobInfo]:
        """Return the accepted and running jobs."""
        ids = [
            *self.r.zrange(self._k("jobs", "status", "accepted"), 0, -1),
            *self.r.zrange(self._k("jobs", "status", "running"), 0, -1),
        ]
        return sorted(self._fetch(ids), key=lambda j: j.created)

    # -- results and inputs ----------------------------------------------------------
    def put_result(self, job_id: str, body: bytes, key: str | None = None) -> None:
        """Store a result document once per key; the job references it."""
        key = key or digest_bytes(body)
        keys = self._attach_keys(job_id, key)
        res = self._attach(keys=keys, args=[key])
        if res == 0:
            res = self._attach(keys=keys, args=[key, as_miss(body, key)])
        if res == -1:
            raise NoSuchJob(f"no job with id '{job_id}'")

    def get_result(self, job_id: str) -> bytes | None:
        """Return the job's result document (its hit flag applied) or ``None``."""
        res = self._get_result(
            keys=[self._k("job", job_id), self._k("body", ""), self._k("result", job_id)]
        )
        if not res:
            return None
        body, key, hit = bytes(res[0]), res[1].decode(), int(res[2] or 0)
        return as_hit(body, key) if hit and key else body

    def delete_result(self, job_id: str) -> None:
        """Drop the job's reference; delete the body when no other job references it."""
        self._detach(keys=[self._k("job", job_id), self._k("body", "")])
        self.r.delete(self._k("result", job_id))

    def count_results(self) -> int:
        """Return the number of stored result bodies (a SCAN: tests and monitoring)."""
        n = 0
        for pattern in (self._k("body", "*"), self._k("result", "*")):
            n += sum(1 for _ in self.r.scan_iter(match=pattern, count=1000))
        return n

    def put_blob(self, name: str, data: bytes) -> None:
        """Store a result part (``p part:<name>``), expiring ``blob_ttl_s`` after its last use."""
        self.r.set(self._k("part", name), data, ex=self.blob_ttl_s)

    def get_blob(self, name: str) -> bytes | None:
        """Return a result part and extend its life (GETEX), or ``None``."""
        value = self.r.getex(self._k("part", name), ex=self.blob_ttl_s)
        return None if value is None else bytes(value)

    def touch_blobs(self, names: Iterable[str]) -> None:
        """Extend the life of result parts."""
        with self.r.pipeline(transaction=False) as pipe:
            for name in names:
                pipe.expire(self._k("part", name), self.blob_ttl_s)
            pipe.execute()

    def get_inputs(self, job_id: str) -> bytes | None:
        """Return the stored inputs of a job or ``None``."""
        value = self.r.get(self._k("inputs", job_id))
        return None if value is None else bytes(value)

    # -- maintenance -----------------------------------------------------------------
    def purge(self, finished_before: datetime) -> int:
        """Delete jobs finished before the cutoff, their inputs and orphaned results."""
        fin = self._k("jobs", "finished")
        total = 0
        while True:
            ids = self.r.zrangebyscore(fin, "-inf", finished_before.timestamp(), start=0, num=500)
            if not ids:
                return total
            with self.r.pipeline(transaction=False) as pipe:
                for i in ids:
                    pipe.hmget(self._k("job", i.decode()), "process_id", "status", "owner")
                meta = pipe.execute()
            with self.r.pipeline(transaction=True) as pipe:
                for i, (proc, status, owner) in zip(ids, meta, strict=True):
                    jid = i.decode()
                    self._detach(keys=[self._k("job", jid), self._k("body", "")], client=pipe)
                    pipe.delete(self._k("job", jid), self._k("inputs", jid), self._k("result", jid))
                    pipe.zrem(fin, jid)
                    pipe.zrem(self._k("jobs", "created"), jid)
                    if proc:
                        pipe.zrem(self._k("jobs", "process", proc.decode()), jid)
                    if status:
                        pipe.zrem(self._k("jobs", "status", status.decode()), jid)
                    if owner:
                        pipe.zrem(self._k("jobs", "owner", owner.decode()), jid)
                pipe.execute()
            total += len(ids)

    def bulk_insert(self, jobs: Iterable[JobInfo]) -> int:
        """Insert many jobs through pipelines of 1,000."""
        n = 0
        pipe = self.r.pipeline(transaction=False)
        for job in jobs:
            self._write_job(pipe, job)
            n += 1
            if n % 1000 == 0:
                pipe.execute()
        pipe.execute()
        return n

    def count(self) -> int:
        """Return the number of stored jobs."""
        return int(self.r.zcard(self._k("jobs", "created")))

    def delete_all(self) -> None:
        """Delete every key under the prefix (tests)."""
        for key in self.r.scan_iter(match=self.p + "*", count=1000):
            self.r.delete(key)
