// name: report_actions
// purpose: workshop actions with the keys of what each concerns; no rows until workshops record Action nodes
// params: (none)
// returns: id, properties, concerns
MATCH (n:Action)
OPTIONAL MATCH (n)-[:CONCERNS]->(t)
WITH n, collect(coalesce(t.code, t.id)) AS concerns
RETURN n.id AS id, properties(n) AS properties, concerns
ORDER BY id
