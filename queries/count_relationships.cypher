// name: count_relationships
// purpose: relationship counts per type
// params: (none)
// returns: type, count
MATCH ()-[r]->()
RETURN type(r) AS type, count(*) AS count
ORDER BY type
