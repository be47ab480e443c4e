// name: source_nodes
// purpose: per source, its nodes per label, and how many of them only that source contributes
// params: (none)
// returns: source, label, count, only
MATCH (n)
WHERE n.sources IS NOT NULL
UNWIND n.sources AS source
UNWIND labels(n) AS label
RETURN source, label, count(*) AS count, sum(CASE WHEN size(n.sources) = 1 THEN 1 ELSE 0 END) AS only
ORDER BY source, label
