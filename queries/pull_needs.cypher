// name: pull_needs
// purpose: needs with place and category; all, or those in one of $codes
// params: $codes, $chunk
// returns: chunk
MATCH (p:Place)<-[:IN]-(n:Need)-[:FOR]->(c:Category)
WHERE $codes IS NULL OR p.code IN $codes
WITH collect([n.id, p.code, c.code, properties(n)]) AS rows
UNWIND range(0, size(rows) - 1, $chunk) AS i
RETURN rows[i..i + $chunk] AS chunk
