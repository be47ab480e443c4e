// name: report_notes
// purpose: workshop notes (and their votes) with the keys of what each concerns; no rows until workshops record Note nodes
// params: (none)
// returns: id, properties, concerns
MATCH (n:Note)
OPTIONAL MATCH (n)-[:CONCERNS]->(t)
WITH n, collect(coalesce(t.code, t.id)) AS concerns
RETURN n.id AS id, properties(n) AS properties, concerns
ORDER BY id
