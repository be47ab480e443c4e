// name: unload_blockers
// purpose: relationships other sources contributed that touch nodes only this source contributed (unloading would cut them)
// params: $source
// returns: other, type, count
MATCH (n)-[r]-()
WHERE n.sources = [$source] AND r.sources IS NOT NULL AND any(x IN r.sources WHERE x <> $source)
UNWIND [x IN r.sources WHERE x <> $source] AS other
RETURN other, type(r) AS type, count(*) AS count
ORDER BY other, type
