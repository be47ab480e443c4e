// name: frames_needs_in
// purpose: needs in one of $codes
// params: $codes, $chunk
// returns: chunk
UNWIND $codes AS code
MATCH (:Place {code: code})<-[:IN]-(n:Need)-[:FOR]->(c:Category)
WITH collect([n.id, code, c.code, n.people]) AS rows
UNWIND range(0, size(rows) - 1, $chunk) AS i
RETURN rows[i..i + $chunk] AS chunk
