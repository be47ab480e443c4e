// name: frames_services
// purpose: services with provider, category, capacity and dates, for the analysis
// params: $chunk
// returns: chunk
MATCH (o:Organisation)-[:DELIVERS]->(s:Service)-[:IN_CATEGORY]->(c:Category)
WITH collect([s.id, o.id, c.code, s.capacity, s.start, s.end]) AS rows
UNWIND range(0, size(rows) - 1, $chunk) AS i
RETURN rows[i..i + $chunk] AS chunk
