// name: pull_services
// purpose: services with provider, category and areas; all, or those serving one of $codes; dates as ISO text (decoded far faster than Date values)
// params: $codes, $chunk
// returns: chunk
MATCH (o:Organisation)-[:DELIVERS]->(s:Service)-[:IN_CATEGORY]->(c:Category)
MATCH (s)-[:SERVES]->(a:Place)
WITH s, o, c, collect(a.code) AS areas
WHERE $codes IS NULL OR any(code IN areas WHERE code IN $codes)
WITH collect([s.id, o.id, c.code, areas, s {.*, start: toString(s.start), end: toString(s.end)}]) AS rows
UNWIND range(0, size(rows) - 1, $chunk) AS i
RETURN rows[i..i + $chunk] AS chunk
