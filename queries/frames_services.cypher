// name: frames_services
// purpose: services with provider, category, capacity and dates, for the analysis; dates as ISO text (the driver decodes text far faster than Date values)
// params: $chunk
// returns: chunk
MATCH (o:Organisation)-[:DELIVERS]->(s:Service)-[:IN_CATEGORY]->(c:Category)
WITH collect([s.id, o.id, c.code, s.capacity, toString(s.start), toString(s.end)]) AS rows
UNWIND range(0, size(rows) - 1, $chunk) AS i
RETURN rows[i..i + $chunk] AS chunk
