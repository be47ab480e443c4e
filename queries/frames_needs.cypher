// name: frames_needs
// purpose: needs with place, category and people, for the analysis
// params: $chunk
// returns: chunk
MATCH (p:Place)<-[:IN]-(n:Need)-[:FOR]->(c:Category)
WITH collect([n.id, p.code, c.code, n.people]) AS rows
UNWIND range(0, size(rows) - 1, $chunk) AS i
RETURN rows[i..i + $chunk] AS chunk
