// name: source_relationships
// purpose: per source, its relationships per type, and how many of them only that source contributes
// params: (none)
// returns: source, type, count, only
MATCH ()-[r]->()
WHERE r.sources IS NOT NULL
UNWIND r.sources AS source
RETURN source, type(r) AS type, count(*) AS count, sum(CASE WHEN size(r.sources) = 1 THEN 1 ELSE 0 END) AS only
ORDER BY source, type
