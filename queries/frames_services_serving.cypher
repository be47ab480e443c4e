// name: frames_services_serving
// purpose: services serving one of $codes, with provider, category, capacity and dates; dates as ISO text (the driver decodes text far faster than Date values)
// params: $codes, $chunk
// returns: chunk
UNWIND $codes AS code
MATCH (:Place {code: code})<-[:SERVES]-(s:Service)
WITH DISTINCT s
MATCH (s)<-[:DELIVERS]-(o:Organisation)
MATCH (s)-[:IN_CATEGORY]->(c:Category)
WITH collect([s.id, o.id, c.code, s.capacity, toString(s.start), toString(s.end)]) AS rows
UNWIND range(0, size(rows) - 1, $chunk) AS i
RETURN rows[i..i + $chunk] AS chunk
