// name: count_nodes
// purpose: node counts per label
// params: (none)
// returns: label, count
MATCH (n)
UNWIND labels(n) AS label
RETURN label, count(*) AS count
ORDER BY label
